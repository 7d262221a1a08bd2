// `kubectl auth can-i` (a SelfSubjectAccessReview, or a SelfSubjectRulesReview for --list) and `kubectl auth whoami`
// (a SelfSubjectReview), with kubectl's warnings, table layouts and exit codes (can-i: 0 yes, 1 no).
import { bool, FallbackSignal, str } from '../flags.ts';
import { resolveResource, type ResourceInfo } from '../discovery.ts';
import { ApiError } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { toGoJson } from '../printers/output.ts';
import { alignTabs } from '../printers/tabwriter.ts';
import { accessTable, type RulesReviewStatus } from './auth-rules.ts';

const RESOURCE_VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'use', 'bind', 'impersonate', '*', 'approve', 'sign', 'escalate', 'attest']);
const NON_RESOURCE_VERBS = new Set(['get', 'put', 'post', 'head', 'options', 'delete', 'patch', '*']);
const NON_STANDARD_RESOURCES = new Set(['users', 'groups']);

const warn = (session: Session, message: string) => session.io.stderr(`Warning: ${message}\n`);

interface Target {
  group: string;
  resource: string;
  name: string;
  info?: ResourceInfo;
}

/** What the resource argument names; an unknown type is warned about and checked as typed. */
async function targetFor(session: Session, arg: string): Promise<Target> {
  const slash = arg.indexOf('/');
  const typed = slash === -1 ? arg : arg.slice(0, slash);
  const name = slash === -1 ? '' : arg.slice(slash + 1);
  if (typed === '*') return { group: '', resource: '*', name };
  const discovery = session.discovery();
  let info = resolveResource(await discovery.data(), typed);
  if (!info) {
    try {
      info = await discovery.resolve(typed);
    } catch {
      // reported below
    }
  }
  if (info) return { group: info.group, resource: info.resource, name, info };
  // schema.ParseResourceArg's GroupResource: `resource.group`, the group being everything after the first dot.
  const lower = typed.toLowerCase();
  const dot = lower.indexOf('.');
  const resource = dot === -1 ? lower : lower.slice(0, dot);
  const group = dot === -1 ? '' : lower.slice(dot + 1);
  if (!NON_STANDARD_RESOURCES.has(group ? `${resource}.${group}` : resource)) {
    warn(session, group ? `the server doesn't have a resource type '${resource}' in group '${group}'\n` : `the server doesn't have a resource type '${resource}'\n`);
  }
  return { group: '', resource: typed, name };
}

const canI: KubectlCommand = {
  flags: [
    { name: 'all-namespaces', short: 'A', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'subresource', type: 'string' },
    { name: 'list', type: 'bool' },
    { name: 'no-headers', type: 'bool' },
  ],
  async run(session, args) {
    const f = session.flags;
    const list = bool(f, 'list');
    const quiet = bool(f, 'quiet');
    const allNamespaces = bool(f, 'all-namespaces');
    const subresource = str(f, 'subresource') ?? '';
    const rest = session.rest();
    if (list) {
      if (args.length) throw new Error('list option must be specified with no arguments');
      const namespace = allNamespaces ? '' : session.namespace;
      if (quiet || allNamespaces || subresource) throw new Error("list option can't be specified with neither quiet, all-namespaces nor subresource options");
      const review = await rest.json<{ status?: RulesReviewStatus }>({
        method: 'POST',
        path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
        body: { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: namespace ? { namespace } : {}, status: { resourceRules: null, nonResourceRules: null, incomplete: false } },
      });
      const status = review.status ?? {};
      if (status.incomplete) warn(session, `the list may be incomplete: ${status.evaluationError ?? ''}`);
      session.io.stdout(alignTabs(accessTable(status, bool(f, 'no-headers'))));
      return 0;
    }
    if (args.length !== 2) throw new Error("you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'kubectl auth can-i -h' for help and examples.");
    const verb = args[0]!;
    const nonResourceURL = args[1]!.startsWith('/') ? args[1]! : '';
    const target = nonResourceURL ? undefined : await targetFor(session, args[1]!);
    const namespace = allNamespaces ? '' : session.namespace;
    if (nonResourceURL) {
      if (subresource) throw new Error('--subresource can not be used with NonResourceURL');
      if (!NON_RESOURCE_VERBS.has(verb)) warn(session, `verb '${verb}' is not a known verb\n`);
    } else if (target && !allNamespaces) {
      if (target.info && !target.info.namespaced) {
        warn(session, target.group ? `resource '${target.resource}' is not namespace scoped in group '${target.group}'\n` : `resource '${target.resource}' is not namespace scoped\n`);
      }
      if (!RESOURCE_VERBS.has(verb)) warn(session, `verb '${verb}' is not a known verb\n`);
    }
    if (bool(f, 'no-headers')) throw new Error('--no-headers cannot be set without --list specified');
    const spec: Record<string, unknown> = nonResourceURL
      ? { nonResourceAttributes: { path: nonResourceURL, verb } }
      : { resourceAttributes: omitEmpty({ namespace, verb, group: target!.group, resource: target!.resource, subresource, name: target!.name }) };
    const review = await rest.json<{ status?: { allowed?: boolean; reason?: string; evaluationError?: string } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { allowed: false } },
    });
    const status = review.status ?? {};
    if (!quiet) {
      if (status.allowed) session.io.stdout('yes\n');
      else {
        let line = 'no';
        if (status.reason) line += ` - ${status.reason}`;
        if (status.evaluationError) line += ` - ${status.evaluationError}`;
        session.io.stdout(`${line}\n`);
      }
    }
    return status.allowed ? 0 : 1;
  },
};

function omitEmpty(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ''));
}

interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** whoami's ATTRIBUTE/VALUE table. */
export function whoamiTable(ui: UserInfo): string {
  let text = 'ATTRIBUTE\tVALUE\n';
  if (ui.username) text += `Username\t${ui.username}\n`;
  if (ui.uid) text += `UID\t${ui.uid}\n`;
  if (ui.groups?.length) text += `Groups\t[${ui.groups.join(' ')}]\n`;
  for (const k of Object.keys(ui.extra ?? {}).sort()) text += `Extra: ${k}\t[${ui.extra![k]!.join(' ')}]\n`;
  return alignTabs(text);
}

const whoami: KubectlCommand = {
  flags: [
    { name: 'output', short: 'o', type: 'string' },
    { name: 'allow-missing-template-keys', type: 'bool' },
    { name: 'show-managed-fields', type: 'bool' },
    { name: 'template', type: 'string' },
  ],
  async run(session, args) {
    void args;
    const output = str(session.flags, 'output');
    if (output !== undefined && output !== 'json' && output !== 'yaml') throw new FallbackSignal(`-o ${output}`);
    let review: { status?: { userInfo?: UserInfo } };
    try {
      review = await session.rest().json({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        body: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo: {} } },
      });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'Forbidden') throw new Error('the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it', { cause: err });
      if (err instanceof ApiError && err.reason === 'NotFound') throw new Error('the selfsubjectreviews API is not enabled in the cluster', { cause: err });
      throw err;
    }
    const ui = review.status?.userInfo ?? {};
    if (output === undefined) {
      session.io.stdout(whoamiTable(ui));
      return 0;
    }
    const userInfo: UserInfo = {};
    if (ui.username) userInfo.username = ui.username;
    if (ui.uid) userInfo.uid = ui.uid;
    if (ui.groups?.length) userInfo.groups = ui.groups;
    if (ui.extra && Object.keys(ui.extra).length) userInfo.extra = ui.extra;
    const typed = { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: { userInfo } };
    session.io.stdout(output === 'json' ? `${toGoJson(typed, false)}\n` : (await import('../printers/yaml.ts')).toGoYaml(typed));
    return 0;
  },
};

export const authCommand: KubectlCommand = {
  flags: [],
  run: () => Promise.resolve(1),
  sub: { 'can-i': canI, whoami },
};
