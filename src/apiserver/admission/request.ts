// Who is making the request being served, for admission attributes: set around each API request (upstream carries it
// in the request's context.Context).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserInfo } from '../authn.ts';

let current: AsyncLocalStorage<UserInfo> | undefined;

export function runAsUser<T>(user: UserInfo, fn: () => T): T {
  current ??= new AsyncLocalStorage<UserInfo>();
  return current.run(user, fn);
}

/** The user of the API request in progress; undefined for the server's own writes (bootstrap). */
export function requestUser(): UserInfo | undefined {
  return current?.getStore();
}
