// Authorization: may this user do this? The seam RBAC plugs into later.
import { isAuthenticated, type UserInfo } from './authn.ts';

export interface AuthorizationAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource requests the HTTP verb in lower case. */
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  path: string;
  /** False for /version, /healthz, discovery and other non-resource URLs. */
  resourceRequest: boolean;
}

export interface Decision {
  allowed: boolean;
  reason?: string;
}

export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Promise<Decision>;
}

/** Lets any authenticated user do anything; anonymous requests are refused. */
export class AllowAuthenticated implements Authorizer {
  async authorize(attrs: AuthorizationAttributes): Promise<Decision> {
    if (isAuthenticated(attrs.user)) return { allowed: true };
    return { allowed: false, reason: 'anonymous requests are not allowed' };
  }
}
