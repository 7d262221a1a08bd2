import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserInfo } from './authn.ts';
import { bearerToken, bearerTokenAuthenticator, InvalidBearerTokenError, type TokenAuthenticator } from './bearertoken.ts';

const req = (authorization?: string) => ({ socket: {} as never, headers: authorization === undefined ? {} : { authorization } });
const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

describe('bearer tokens', () => {
  test('the header is split as upstream splits it', () => {
    assert.equal(bearerToken(req('Bearer abc').headers), 'abc');
    assert.equal(bearerToken(req('bearer abc').headers), 'abc');
    assert.equal(bearerToken(req('  Bearer abc  ').headers), 'abc');
    assert.equal(bearerToken(req('Bearer abc extra').headers), 'abc');
    assert.equal(bearerToken(req('Bearer  abc').headers), undefined, 'two spaces leave an empty token');
    assert.equal(bearerToken(req('Basic abc').headers), undefined);
    assert.equal(bearerToken(req('Bearer').headers), undefined);
    assert.equal(bearerToken(req().headers), undefined);
  });

  test('the first authenticator that knows the token wins; an unknown token is an error, no token no opinion', async () => {
    const seen: string[] = [];
    const knows = (token: string, user: UserInfo): TokenAuthenticator => ({
      authenticateToken: (t) => {
        seen.push(token);
        return t === token ? user : undefined;
      },
    });
    const authn = bearerTokenAuthenticator(knows('a', alice), knows('b', { ...alice, username: 'bob' }));
    assert.equal((await authn.authenticate(req('Bearer b')))?.username, 'bob');
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(await authn.authenticate(req()), undefined);
    await assert.rejects(async () => authn.authenticate(req('Bearer c')), { name: 'InvalidBearerTokenError', message: 'invalid bearer token' });
  });

  test("an authenticator's error is reported only when no other one accepts the token", async () => {
    const broken: TokenAuthenticator = {
      authenticateToken: () => {
        throw new Error('service account token has expired');
      },
    };
    await assert.rejects(async () => bearerTokenAuthenticator(broken).authenticate(req('Bearer x')), (err: unknown) => {
      assert.ok(err instanceof InvalidBearerTokenError);
      assert.equal(err.message, 'service account token has expired');
      return true;
    });
    assert.equal((await bearerTokenAuthenticator(broken, { authenticateToken: () => alice }).authenticate(req('Bearer x')))?.username, 'alice');
  });
});
