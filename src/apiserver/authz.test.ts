import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anonymousUser } from './authn.ts';
import { AllowAuthenticated, type AuthorizationAttributes } from './authz.ts';

const attrs = (user: AuthorizationAttributes['user']): AuthorizationAttributes => ({
  user,
  verb: 'list',
  apiGroup: 'apps',
  resource: 'deployments',
  subresource: '',
  namespace: 'default',
  name: '',
  path: '/apis/apps/v1/namespaces/default/deployments',
  resourceRequest: true,
});

test('AllowAuthenticated allows any authenticated user', async () => {
  const decision = await new AllowAuthenticated().authorize(attrs({ username: 'jane', groups: ['system:authenticated'] }));
  assert.deepEqual(decision, { allowed: true });
});

test('AllowAuthenticated refuses anonymous users with a reason', async () => {
  const decision = await new AllowAuthenticated().authorize(attrs(anonymousUser()));
  assert.equal(decision.allowed, false);
  assert.ok(decision.reason);
});
