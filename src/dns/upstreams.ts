// Which resolvers to forward to: given addresses, or the nameservers of the host's resolv.conf, never ourselves.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ServerAddress } from './exchange.ts';
import { canonicalIp } from './ip.ts';

export class UpstreamAddressError extends Error {
  override name = 'UpstreamAddressError';
}

/** "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" (port 53 unless given). */
export function parseUpstream(text: string): ServerAddress {
  const trimmed = text.trim();
  let host = trimmed;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (isIP(trimmed) === 0) {
    const colon = trimmed.lastIndexOf(':');
    if (colon > 0) {
      host = trimmed.slice(0, colon);
      port = Number(trimmed.slice(colon + 1));
    }
  }
  const address = canonicalIp(host);
  if (!address || !Number.isInteger(port) || port < 1 || port > 65535) throw new UpstreamAddressError(`not an upstream resolver address: ${JSON.stringify(text)}`);
  return { address, port };
}

/** The nameserver addresses of a resolv.conf text, in order. */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const address = canonicalIp(m[1]!.replace(/%.*$/, ''));
    if (address) out.push(address);
  }
  return out;
}

export async function readResolvConf(path: string): Promise<ServerAddress[]> {
  const text = await readFile(path, 'utf8');
  return parseResolvConf(text).map((address) => ({ address, port: 53 }));
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';
const isWildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';

function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((i) => (i ? canonicalIp(i.address) : undefined))
    .filter((ip): ip is string => ip !== undefined);
}

/**
 * Upstreams minus any that would send queries back to this server: the cluster DNS Service's addresses, and our own
 * listening address and port (any loopback or local address when we listen on the wildcard).
 */
export function withoutSelf(upstreams: ServerAddress[], self: ServerAddress, clusterDNSAddresses: string[] = []): ServerAddress[] {
  const cluster = new Set(clusterDNSAddresses.map((a) => canonicalIp(a) ?? a));
  const selfIp = canonicalIp(self.address) ?? self.address;
  const local = isWildcard(selfIp) ? new Set(localAddresses()) : new Set<string>();
  return upstreams.filter((u) => {
    if (cluster.has(u.address)) return false;
    if (u.port !== self.port) return true;
    if (u.address === selfIp) return false;
    return !(isWildcard(selfIp) && (isLoopback(u.address) || local.has(u.address)));
  });
}
