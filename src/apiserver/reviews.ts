// The create-only review resources: "may I?" (SelfSubjectAccessReview and friends) and "who am I?"
// (SelfSubjectReview, TokenReview), answered by the server's own authorizer and authenticators.
import type { KObject, ResourceType } from '../api/types.ts';
import type { Authorizer } from './authz.ts';
import type { UserInfo } from './authn.ts';
import type { TokenAuthenticator } from './bearertoken.ts';
import { API_AUDIENCES } from './serviceaccount-token.ts';
import { errors } from './status.ts';

export interface ReviewContext {
  user: UserInfo;
  authorizer: Authorizer;
  /** The namespace in the URL (LocalSubjectAccessReview). */
  namespace: string;
  /** What checks bearer tokens (service-account tokens), for TokenReview. */
  tokens?: TokenAuthenticator;
}

function userInfoJson(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.username, groups: u.groups };
  if (u.uid) out['uid'] = u.uid;
  if (u.extra && Object.keys(u.extra).length) out['extra'] = u.extra;
  return out;
}

async function accessReview(spec: Record<string, any>, user: UserInfo, authorizer: Authorizer, forceNamespace?: string): Promise<Record<string, unknown>> {
  const ra = spec['resourceAttributes'] as Record<string, string> | undefined;
  const nra = spec['nonResourceAttributes'] as Record<string, string> | undefined;
  if (!ra && !nra) {
    throw errors.badRequest('spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
  }
  const decision = await authorizer.authorize({
    user,
    verb: (ra ?? nra)?.['verb'] ?? '',
    apiGroup: ra?.['group'] ?? '',
    resource: ra?.['resource'] ?? '',
    subresource: ra?.['subresource'] ?? '',
    namespace: forceNamespace ?? ra?.['namespace'] ?? '',
    name: ra?.['name'] ?? '',
    path: nra?.['path'] ?? '',
    resourceRequest: !!ra,
  });
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status['reason'] = decision.reason;
  if (!decision.allowed) status['denied'] = false; // "no opinion", as upstream's RBAC reports a miss
  return status;
}

/** TokenReview's status: who the token names, or why it names nobody (an invalid token is not an error of the request). */
async function tokenReview(token: string, tokens: TokenAuthenticator | undefined): Promise<Record<string, unknown>> {
  if (!tokens) return { authenticated: false, error: 'no token authenticator is configured' };
  try {
    const user = token ? await tokens.authenticateToken(token) : undefined;
    if (!user) return { user: {}, error: '[invalid bearer token, token lookup failed]' };
    return { authenticated: true, user: userInfoJson(user), audiences: [...API_AUDIENCES] };
  } catch (err) {
    return { user: {}, error: `[invalid bearer token, ${err instanceof Error ? err.message : String(err)}]` };
  }
}

/** Answers a review create; undefined when the type is not a review. */
export async function answerReview(type: ResourceType, body: KObject, ctx: ReviewContext): Promise<KObject | undefined> {
  const spec = (body['spec'] ?? {}) as Record<string, any>;
  const out: KObject = { ...body, apiVersion: type.group ? `${type.group}/${type.version}` : type.version, kind: type.kind };
  out.metadata = { ...(body.metadata ?? {}), creationTimestamp: null as unknown as string };
  switch (`${type.group}/${type.plural}`) {
    case 'authorization.k8s.io/selfsubjectaccessreviews':
      out['status'] = await accessReview(spec, ctx.user, ctx.authorizer);
      return out;
    case 'authorization.k8s.io/localsubjectaccessreviews':
    case 'authorization.k8s.io/subjectaccessreviews': {
      const subject: UserInfo = { username: spec['user'] ?? '', groups: spec['groups'] ?? [], ...(spec['uid'] ? { uid: spec['uid'] } : {}) };
      const local = type.plural === 'localsubjectaccessreviews';
      out['status'] = await accessReview(spec, subject, ctx.authorizer, local ? ctx.namespace : undefined);
      return out;
    }
    case 'authorization.k8s.io/selfsubjectrulesreviews':
      // The authorizer seam allows every authenticated user everything until RBAC lands.
      out['status'] = {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
      return out;
    case 'authentication.k8s.io/selfsubjectreviews':
      out['status'] = { userInfo: userInfoJson(ctx.user) };
      return out;
    case 'authentication.k8s.io/tokenreviews':
      out['status'] = await tokenReview(String(spec['token'] ?? ''), ctx.tokens);
      return out;
    default:
      return undefined;
  }
}
