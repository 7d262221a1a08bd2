// Picks a storage driver from a --datastore-endpoint URL.
import { isAbsolute, join, resolve } from 'node:path';
import type { Backend } from './backend.ts';
import { StorageError } from './backend.ts';
import { EtcdBackend } from './etcd.ts';
import { MemoryBackend } from './memory.ts';
import { SqliteBackend } from './sqlite.ts';

export const acceptedSchemes = ['sqlite://PATH', 'etcd://HOST:PORT[,HOST:PORT…]', 'http://HOST:PORT[,…]', 'memory://'] as const;

export class UnsupportedDatastoreError extends StorageError {
  override name = 'UnsupportedDatastoreError';
  constructor(readonly endpoint: string, reason: string, options?: ErrorOptions) {
    super(`unsupported datastore endpoint "${endpoint}": ${reason}; accepted: ${acceptedSchemes.join(', ')}`, options);
  }
}

/** The sqlite file used when no endpoint is given. */
export function defaultSqlitePath(dataDir: string): string {
  return join(dataDir, 'db', 'state.db');
}

/**
 * sqlite://PATH (relative to the working directory, or absolute as sqlite:///abs/path; empty: the default under
 * dataDir; a query string is ignored), etcd://HOST:PORT[,HOST:PORT…] or http://HOST:PORT[,…], memory://.
 * An empty endpoint means sqlite at <dataDir>/db/state.db. Directories are created as needed.
 */
export function openBackend(endpoint: string, dataDir: string): Backend {
  const trimmed = endpoint.trim();
  if (trimmed === '') return new SqliteBackend(defaultSqlitePath(dataDir));
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(trimmed);
  if (!match) throw new UnsupportedDatastoreError(endpoint, 'not a URL');
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  switch (scheme) {
    case 'sqlite': {
      const path = rest.replace(/\?.*$/, '');
      if (path === '') return new SqliteBackend(defaultSqlitePath(dataDir));
      return new SqliteBackend(path === ':memory:' || isAbsolute(path) ? path : resolve(path));
    }
    case 'etcd':
    case 'http':
      return new EtcdBackend(etcdEndpoints(endpoint, trimmed));
    case 'memory':
      return new MemoryBackend();
    default:
      throw new UnsupportedDatastoreError(endpoint, `unknown scheme "${scheme}"`);
  }
}

/** "etcd://a:1,b:2" or "http://a:1,http://b:2" → ["http://a:1", "http://b:2"]. */
function etcdEndpoints(original: string, endpoint: string): string[] {
  const hosts = endpoint.split(',').map((part) => part.trim().replace(/^(etcd|http):\/\//i, '').replace(/\/+$/, ''));
  for (const host of hosts) {
    if (!/^[^/\s:]+:\d+$/.test(host) && !/^\[[0-9a-f:.]+\]:\d+$/i.test(host)) {
      throw new UnsupportedDatastoreError(original, `"${host}" is not HOST:PORT`);
    }
  }
  return hosts.map((host) => `http://${host}`);
}
