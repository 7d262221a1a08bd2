// Stale UDP conntrack entries (upstream's conntrack.CleanStaleEntries): UDP has no connection to end, so a flow DNATed
// to an endpoint that has gone would keep sending there until the entry times out. After a sync that changed a UDP
// service, every UDP entry addressed to a service IP:port (or a NodePort) whose reply does not come from one of that
// service's serving endpoints is deleted — this also clears entries made while the service had no endpoints.
import { HostCommands } from './host.ts';
import type { EndpointInfo, ServicePortInfo } from './model.ts';

export interface ConntrackEntry {
  origDst: string;
  origDport: number;
  replySrc: string;
}

export interface ConntrackFilter {
  /** Absent for NodePort entries (any local address). */
  origDst?: string;
  origDport: number;
  replySrc: string;
}

export interface Conntrack {
  listUDP(): Promise<ConntrackEntry[]>;
  /** Deletes the UDP entries matching `filter`; resolves with how many went. */
  deleteUDP(filter: ConntrackFilter): Promise<number>;
}

export class ConntrackError extends Error {
  override name = 'ConntrackError';
}

/** Parses `conntrack -L` lines: the first src/dst/dport are the original direction, the second src the reply's. */
export function parseConntrackList(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('udp')) continue;
    const fields = line.split(/\s+/);
    const values = (key: string) => fields.filter((f) => f.startsWith(`${key}=`)).map((f) => f.slice(key.length + 1));
    const dst = values('dst')[0];
    const dport = values('dport')[0];
    const replySrc = values('src')[1];
    if (dst && dport && replySrc) out.push({ origDst: dst, origDport: Number(dport), replySrc });
  }
  return out;
}

export interface UDPServicePort {
  svc: ServicePortInfo;
  endpoints: readonly EndpointInfo[];
}

/** The deletions that leave only entries going to a serving endpoint of the service they were addressed to. */
export function staleUDPFilters(entries: readonly ConntrackEntry[], ports: Iterable<UDPServicePort>): ConntrackFilter[] {
  const byServiceIP = new Map<string, Set<string>>();
  const byNodePort = new Map<number, Set<string>>();
  for (const { svc, endpoints } of ports) {
    if (svc.protocol !== 'UDP') continue;
    const serving = new Set(endpoints.filter((ep) => ep.serving).map((ep) => ep.ip));
    // A service without endpoints has nothing to keep entries pointing at.
    if (serving.size === 0) continue;
    for (const ip of [svc.clusterIP, ...svc.loadBalancerVIPs, ...svc.externalIPs]) byServiceIP.set(`${ip}:${svc.port}`, serving);
    if (svc.nodePort) byNodePort.set(svc.nodePort, serving);
  }
  const filters = new Map<string, ConntrackFilter>();
  for (const e of entries) {
    const serving = byServiceIP.get(`${e.origDst}:${e.origDport}`);
    if (serving && !serving.has(e.replySrc)) {
      filters.set(`${e.origDst}:${e.origDport}>${e.replySrc}`, { origDst: e.origDst, origDport: e.origDport, replySrc: e.replySrc });
    }
    const nodePort = byNodePort.get(e.origDport);
    if (nodePort && !nodePort.has(e.replySrc)) filters.set(`*:${e.origDport}>${e.replySrc}`, { origDport: e.origDport, replySrc: e.replySrc });
  }
  return [...filters.values()];
}

/** The `conntrack` tool (Debian package conntrack). */
export class ExecConntrack implements Conntrack {
  readonly #host: HostCommands;

  constructor(netns?: string | undefined) {
    this.#host = new HostCommands(netns);
  }

  async listUDP(): Promise<ConntrackEntry[]> {
    const result = await this.#host.run('conntrack', ['-L', '-p', 'udp']);
    if (result.code !== 0) throw new ConntrackError(`conntrack -L failed (exit ${result.code}): ${result.stderr.trim()}`);
    return parseConntrackList(result.stdout);
  }

  async deleteUDP(filter: ConntrackFilter): Promise<number> {
    const args = ['-D', '-p', 'udp', ...(filter.origDst ? ['--orig-dst', filter.origDst] : []), '--orig-port-dst', String(filter.origDport), '--reply-src', filter.replySrc];
    const result = await this.#host.run('conntrack', args);
    // Exit 1 with "0 flow entries have been deleted" just means there was nothing left to delete.
    const count = Number(/(\d+) flow entries have been deleted/.exec(result.stderr)?.[1] ?? 0);
    if (result.code !== 0 && count === 0 && !/0 flow entries/.test(result.stderr)) {
      throw new ConntrackError(`conntrack ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
    return count;
  }
}
