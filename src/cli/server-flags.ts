// `skiff server`: its flags, their defaults and checks. The server itself loads only once the flags are good.
import { readFileSync } from 'node:fs';
import { homedir, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP, isIPv4 } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ipToBytes } from '../adm/x509.ts';
import { formatIP, parseCIDR } from '../kubelet/ippool.ts';
import type { LogFormat } from '../log.ts';
import { UsageError, type Command } from './command.ts';

export interface ServerFlags {
  dataDir: string;
  securePort: number;
  bindAddress: string;
  advertiseAddress?: string;
  datastoreEndpoint: string;
  serviceCIDR: string;
  nodePortRange: [number, number];
  /** The pod network; each node gets a podCIDR of /nodeCIDRMaskSize out of it. */
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
  logFormat: LogFormat;
  /** Storage compaction: how often (ms) and how many revisions of history to keep. */
  compaction: { intervalMs: number; keepRevisions: number };
  /** Packaged components not to run (k3s's --disable): the cluster DNS, the service load balancer. */
  disable: ReadonlySet<DisableableComponent>;
}

export const DISABLEABLE = ['dns', 'servicelb'] as const;
export type DisableableComponent = (typeof DISABLEABLE)[number];

/** What the defaults depend on, passed in so tests do not depend on who runs them. */
export interface ServerEnvironment {
  isRoot: boolean;
  homeDir: string;
  cwd: string;
  stderrIsTTY: boolean;
}

export const SERVER_USAGE = `Run the Kubernetes API server in the foreground.

Usage:
  skiff server [flags]

Flags:
  -d, --data-dir DIR                      where state, certificates and admin.conf live
                                          (default /var/lib/skiff as root, ~/.skiff otherwise)
      --secure-port PORT                  HTTPS port (default 6443; 0 picks a free one)
      --bind-address IP                   address to listen on (default 0.0.0.0)
      --advertise-address IP              address other members of the cluster reach this server at
                                          (default: the bind address, or the default route's when
                                          listening on all or loopback addresses)
      --datastore-endpoint URL            sqlite://PATH or etcd://HOST:PORT[,HOST:PORT...]
                                          (default sqlite://<data-dir>/db/state.db)
      --service-cluster-ip-range CIDR     Service ClusterIP range (default 10.96.0.0/12)
      --service-node-port-range FROM-TO   NodePort range (default 30000-32767)
      --cluster-cidr CIDR                 pod network, split into one podCIDR per node (default 10.244.0.0/16)
      --node-cidr-mask-size N             prefix length of each node's podCIDR (default 24)
      --log-format text|json              (default text on a terminal, json otherwise)
      --storage-compaction-interval DUR   how often storage history is compacted (default 5m)
      --storage-compaction-keep N         revisions of history kept by compaction (default 1000)
      --disable COMPONENT[,COMPONENT]     do not run a packaged component: dns (the kube-dns Service and
                                          the nodes' DNS servers), servicelb (LoadBalancer addresses)
  -h, --help                              help for server
`;

const OPTIONS = {
  'data-dir': { type: 'string', short: 'd' },
  'secure-port': { type: 'string' },
  'bind-address': { type: 'string' },
  'advertise-address': { type: 'string' },
  'datastore-endpoint': { type: 'string' },
  'cluster-cidr': { type: 'string' },
  'node-cidr-mask-size': { type: 'string' },
  'service-cluster-ip-range': { type: 'string' },
  'service-node-port-range': { type: 'string' },
  'log-format': { type: 'string' },
  'storage-compaction-interval': { type: 'string' },
  'storage-compaction-keep': { type: 'string' },
  disable: { type: 'string', multiple: true },
} as const;

/** node:util parseArgs errors, reworded the way cobra-based tools (kubectl, k3s) say them. */
export function usageErrorFrom(err: unknown): Error {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? '';
  const flag = /--[a-z0-9][a-z0-9-]*/i.exec(message)?.[0] ?? /'(-[^' ,]+)/.exec(message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown flag: ${flag ?? '?'}`, { cause: err });
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(`flag needs an argument: ${flag ?? '?'}`, { cause: err });
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trim(), { cause: err });
    default:
      return err as Error;
  }
}

/** --log-format: text on a terminal, json otherwise, unless given. */
export function parseLogFormat(value: string | undefined, stderrIsTTY: boolean): LogFormat {
  const format = value ?? (stderrIsTTY ? 'text' : 'json');
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid argument "${format}" for "--log-format": want text or json`);
  return format;
}

export function parsePort(value: string, flag: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 65535) {
    throw new UsageError(`invalid argument "${value}" for "--${flag}": must be a port number between ${min} and 65535`);
  }
  return Number(value);
}

export function parseIP(value: string, flag: string): string {
  if (!isIP(value)) throw new UsageError(`invalid argument "${value}" for "--${flag}": not an IP address`);
  return value;
}

export function checkCIDR(value: string, flag: string): string {
  for (const part of value.split(',')) {
    const [address, prefix, extra] = part.split('/');
    const bits = address && isIP(address) === 6 ? 128 : 32;
    if (extra !== undefined || !address || !isIP(address) || !prefix || !/^\d+$/.test(prefix) || Number(prefix) > bits) {
      throw new UsageError(`invalid argument "${value}" for "--${flag}": not a CIDR such as 10.96.0.0/12`);
    }
  }
  return value;
}

export function parsePortRange(value: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(value);
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (!m || from < 1 || to > 65535 || from > to) {
    throw new UsageError(`invalid argument "${value}" for "--service-node-port-range": want FROM-TO, such as 30000-32767`);
  }
  return [from, to];
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration such as 500ms, 10s, 5m or 1h30m, in milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const total = parts.reduce((ms, p) => ms + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
  if (!parts.length || parts.map((p) => p[0]).join('') !== value || total <= 0) {
    throw new UsageError(`invalid argument "${value}" for "--${flag}": want a duration such as 10s, 5m or 1h`);
  }
  return total;
}

export function parseServerFlags(args: string[], env: ServerEnvironment): ServerFlags {
  let values: { [K in Exclude<keyof typeof OPTIONS, 'disable'>]?: string } & { disable?: string[] };
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw usageErrorFrom(err);
  }
  const dataDir = resolve(env.cwd, values['data-dir'] ?? (env.isRoot ? '/var/lib/skiff' : join(env.homeDir, '.skiff')));
  const logFormat = parseLogFormat(values['log-format'], env.stderrIsTTY);
  const endpoint = values['datastore-endpoint'] ?? `sqlite://${join(dataDir, 'db', 'state.db')}`;
  if (!/^[a-z][a-z0-9+.-]*:\/\/./i.test(endpoint)) {
    throw new UsageError(`invalid argument "${endpoint}" for "--datastore-endpoint": want sqlite://PATH or etcd://HOST:PORT`);
  }
  const flags: ServerFlags = {
    dataDir,
    securePort: parsePort(values['secure-port'] ?? '6443', 'secure-port', 0),
    bindAddress: parseIP(values['bind-address'] ?? '0.0.0.0', 'bind-address'),
    datastoreEndpoint: endpoint,
    serviceCIDR: checkCIDR(values['service-cluster-ip-range'] ?? '10.96.0.0/12', 'service-cluster-ip-range'),
    nodePortRange: parsePortRange(values['service-node-port-range'] ?? '30000-32767'),
    clusterCIDR: checkCIDR(values['cluster-cidr'] ?? '10.244.0.0/16', 'cluster-cidr'),
    nodeCIDRMaskSize: parseCount(values['node-cidr-mask-size'] ?? '24', 'node-cidr-mask-size'),
    logFormat,
    compaction: {
      intervalMs: parseDuration(values['storage-compaction-interval'] ?? '5m', 'storage-compaction-interval'),
      keepRevisions: parseCount(values['storage-compaction-keep'] ?? '1000', 'storage-compaction-keep'),
    },
    disable: parseDisable(values.disable ?? []),
  };
  if (values['advertise-address'] !== undefined) flags.advertiseAddress = parseIP(values['advertise-address'], 'advertise-address');
  return flags;
}

/** --disable, repeated or comma-separated, as k3s takes it. */
export function parseDisable(values: readonly string[]): ReadonlySet<DisableableComponent> {
  const out = new Set<DisableableComponent>();
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    if (!(DISABLEABLE as readonly string[]).includes(value)) throw new UsageError(`invalid argument "${value}" for "--disable": want ${DISABLEABLE.join(' or ')}`);
    out.add(value as DisableableComponent);
  }
  return out;
}

function parseCount(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid argument "${value}" for "--${flag}": want a whole number`);
  return Number(value);
}

const isUnspecified = (ip: string) => ip === '0.0.0.0' || ip === '::';

/** Where a kubeconfig on this machine should point: loopback when listening everywhere, else the bound address. */
export function localServerURL(bindAddress: string, port: number): string {
  const host = isUnspecified(bindAddress) ? '127.0.0.1' : bindAddress;
  return `https://${isIPv4(host) ? host : `[${host}]`}:${port}`;
}

/** kubeadm's clusterDNS: the tenth address of the (first) service range, e.g. 10.96.0.10. */
export function tenthServiceIP(serviceCIDR: string): string {
  const { base, family } = parseCIDR(serviceCIDR.split(',')[0]!);
  return formatIP(base + 10n, family);
}

/** The first address of each Service range: the ClusterIP of the `kubernetes` Service. */
export function firstServiceIPs(serviceCIDR: string): string[] {
  return serviceCIDR.split(',').map((cidr) => {
    const [address = '', prefix = '0'] = cidr.split('/');
    const bytes = ipToBytes(address);
    for (let bit = Number(prefix); bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
    bytes[bytes.length - 1]! |= 1;
    if (bytes.length === 4) return bytes.join('.');
    const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
    return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  });
}

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.');

/** The interface of the IPv4 default route, from /proc/net/route (undefined when there is none or no procfs). */
export function defaultRouteInterface(routeTable?: string): string | undefined {
  let table = routeTable;
  if (table === undefined) {
    try {
      table = readFileSync('/proc/net/route', 'utf8');
    } catch {
      return undefined;
    }
  }
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}

/**
 * The address other members of the cluster (and the `kubernetes` Service's endpoints) use, chosen as
 * kube-apiserver does when --advertise-address is not given: the bind address unless it is unspecified or
 * loopback, else the IPv4 address of the default-route interface, else any external IPv4 address.
 */
export function defaultAdvertiseAddress(
  bindAddress: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  routeInterface: string | undefined,
): string | undefined {
  if (!isUnspecified(bindAddress) && !isLoopback(bindAddress)) return bindAddress;
  const external = (list: NetworkInterfaceInfo[] | undefined) => list?.find((a) => !a.internal && isIPv4(a.address))?.address;
  if (routeInterface) {
    const viaRoute = external(interfaces[routeInterface]);
    if (viaRoute) return viaRoute;
  }
  for (const list of Object.values(interfaces)) {
    const address = external(list);
    if (address) return address;
  }
  return undefined;
}

/** Names the serving certificate must cover for this configuration. */
export function servingHosts(flags: ServerFlags, hostname: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  const hosts: string[] = [];
  if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(hostname)) hosts.push(hostname);
  hosts.push(...firstServiceIPs(flags.serviceCIDR));
  if (flags.advertiseAddress) hosts.push(flags.advertiseAddress);
  if (!isUnspecified(flags.bindAddress)) {
    hosts.push(flags.bindAddress);
  } else {
    for (const list of Object.values(interfaces)) {
      for (const addr of list ?? []) {
        if (!addr.internal && !addr.address.toLowerCase().startsWith('fe80:')) hosts.push(addr.address);
      }
    }
  }
  return [...new Set(hosts)];
}

export const serverCommand: Command = {
  name: 'server',
  summary: 'Run the Kubernetes API server in the foreground',
  usage: SERVER_USAGE,
  async run(args, io) {
    const flags = parseServerFlags(args, {
      isRoot: process.getuid?.() === 0,
      homeDir: homedir(),
      cwd: process.cwd(),
      stderrIsTTY: process.stderr.isTTY === true,
    });
    if (flags.advertiseAddress === undefined) {
      const advertise = defaultAdvertiseAddress(flags.bindAddress, networkInterfaces(), defaultRouteInterface());
      if (advertise) flags.advertiseAddress = advertise;
    }
    const { runServer } = await import('./server.ts');
    return runServer(flags, io);
  },
};
