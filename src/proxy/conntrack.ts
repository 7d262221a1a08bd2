// Stale UDP conntrack entries (upstream's conntrack.CleanStaleEntries): UDP has no connection to end, so a flow DNATed
// to an endpoint that has gone would keep sending there until the entry times out. After a sync that changed a UDP
// service, every UDP entry addressed to a service IP:port (or a NodePort) whose reply does not come from one of that
// service's serving endpoints is deleted — this also clears entries made while the service had no endpoints.
import type { Logger } from '../log.ts';
import { CommandNotFoundError, HostCommands } from './host.ts';
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

/** A backend's written ports: by Service key, then by port key. */
export type WrittenPorts = ReadonlyMap<string, ReadonlyMap<string, { svc: ServicePortInfo }>>;

/** What both proxy backends do after a sync: clear stale UDP flows; without the conntrack tool, say so once and stop. */
export class StaleUDPCleaner {
  #conntrack: Conntrack | null;
  readonly #log: Logger;

  constructor(conntrack: Conntrack | null, log: Logger) {
    this.#conntrack = conntrack;
    this.#log = log;
  }

  /**
   * After a sync that changed the Services `changed` (ports before it in `previous`, after it in `current`): when one
   * of them has a UDP port, clears the flows that no longer go to a serving endpoint of any UDP Service.
   */
  async afterSync(
    changed: readonly string[],
    previous: ReadonlyMap<string, ReadonlyMap<string, { svc: ServicePortInfo }> | undefined>,
    current: WrittenPorts,
    endpointsOf: (key: string) => ReadonlyMap<string, readonly EndpointInfo[]>,
  ): Promise<void> {
    const udp = (ports: ReadonlyMap<string, { svc: ServicePortInfo }> | undefined) => [...(ports?.values() ?? [])].some((p) => p.svc.protocol === 'UDP');
    if (!this.#conntrack || !changed.some((key) => udp(previous.get(key)) || udp(current.get(key)))) return;
    const ports: UDPServicePort[] = [];
    for (const [key, written] of current) {
      let endpoints: ReadonlyMap<string, readonly EndpointInfo[]> | undefined;
      for (const [portKey, p] of written) {
        if (p.svc.protocol !== 'UDP') continue;
        endpoints ??= endpointsOf(key);
        ports.push({ svc: p.svc, endpoints: endpoints.get(portKey) ?? [] });
      }
    }
    try {
      const filters = staleUDPFilters(await this.#conntrack.listUDP(), ports);
      for (const f of filters) await this.#conntrack.deleteUDP(f);
      if (filters.length) this.#log.debug('cleared stale UDP conntrack entries', { filters: filters.length });
    } catch (err) {
      if (err instanceof CommandNotFoundError) {
        this.#log.warn('conntrack is not installed: stale UDP flows to removed endpoints will stay until they time out (apt-get install conntrack)');
        this.#conntrack = null;
        return;
      }
      this.#log.warn('cannot clear stale UDP conntrack entries', { error: err });
    }
  }
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
