// The cluster zone, answered the way CoreDNS's kubernetes plugin answers it (with `pods insecure` and
// `fallthrough in-addr.arpa ip6.arpa`): Services, headless endpoints, SRV for ports, ExternalName CNAMEs, pod A
// records, PTR for cluster and endpoint IPs, NXDOMAIN vs NODATA, SOA in negative answers.
import { Rcode, RRType } from './constants.ts';
import { endpointHostname, serviceKey, type ClusterIndex, type ServiceEntry } from './cluster-index.ts';
import { canonicalIp, ipFromReverseName, parseIPv4, parseIPv6 } from './ip.ts';
import type { DnsMessage, ResourceRecord } from './message.ts';
import { canonicalName, inZone, labelsBelow } from './names.ts';

/** The DNS schema version CoreDNS reports at dns-version.<zone>. */
export const DNS_SCHEMA_VERSION = '1.1.0';
const SCHEMA_TTL = 28800;
const MAX_CNAME_CHAIN = 10;
const REVERSE_ZONES = ['in-addr.arpa', 'ip6.arpa'];

export interface ZoneAnswer {
  rcode: number;
  /** False only for refused zone transfers. */
  authoritative: boolean;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

export interface KubernetesZoneOptions {
  /** The cluster domain, e.g. cluster.local. */
  domain: string;
  ttl: number;
  index: ClusterIndex;
  /** Before the informers have listed, a name that is not found is SERVFAIL rather than NXDOMAIN. */
  synced(): boolean;
  /** Resolves a name outside the cluster (an ExternalName's target) the way any forwarded query is resolved. */
  lookup(name: string, type: number): Promise<DnsMessage | undefined>;
  /** The Service whose cluster IPs the zone's NS records name (kube-system/kube-dns). */
  dnsService: { namespace: string; name: string };
  /** Addresses for ns.dns.<zone> when that Service is missing. */
  fallbackNameservers(): string[];
}

/** One thing a name stands for: an address (or, for ExternalName, a host name) with a port and an SRV target. */
interface Found {
  host: string;
  port: number;
  /** The name an SRV record points at for this item. */
  target: string;
}

const NAME_ERROR = Symbol('name error');
type Lookup = Found[] | typeof NAME_ERROR;

interface RequestParts {
  kind: 'svc' | 'pod';
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
}

type AddressType = 'A' | 'AAAA';

function hostType(host: string): AddressType | 'CNAME' {
  if (host.includes(':')) return parseIPv6(host) ? 'AAAA' : 'CNAME';
  return parseIPv4(host) ? 'A' : 'CNAME';
}

const stripUnderscore = (s: string) => (s.startsWith('_') ? s.slice(1) : s);
const matchPart = (asked: string, have: string) => asked === '' || asked === have.toLowerCase();

export class KubernetesZone {
  readonly domain: string;
  readonly #o: KubernetesZoneOptions;

  constructor(options: KubernetesZoneOptions) {
    this.#o = options;
    this.domain = canonicalName(options.domain);
  }

  /** The answer for a question in the cluster zone or a reverse zone; undefined when the query should be forwarded. */
  async answer(name: string, type: number): Promise<ZoneAnswer | undefined> {
    const qn = canonicalName(name);
    if (inZone(qn, this.domain)) return this.#answerZone(name, qn, type);
    if (type === RRType.PTR && REVERSE_ZONES.some((z) => inZone(qn, z))) {
      const ip = ipFromReverseName(qn);
      const targets = ip ? this.#reverse(ip) : [];
      // `fallthrough in-addr.arpa ip6.arpa`: what the cluster does not know goes upstream.
      if (targets.length === 0) return undefined;
      return this.#ok(targets.map((target) => ({ name, type: 'PTR', ttl: this.#o.ttl, target })), []);
    }
    return undefined;
  }

  /** The zone's SOA record, as sent in negative answers. */
  soa(): ResourceRecord {
    const ttl = this.#o.ttl;
    return {
      name: this.domain,
      type: 'SOA',
      ttl: Math.min(ttl, 300),
      mname: `ns.dns.${this.domain}`,
      rname: `hostmaster.${this.domain}`,
      serial: this.#o.index.modified >>> 0,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: ttl,
    };
  }

  async #answerZone(name: string, qn: string, type: number): Promise<ZoneAnswer> {
    let found: ResourceRecord[] | typeof NAME_ERROR;
    let extra: ResourceRecord[] = [];
    // NS below the apex is told apart like any type the zone has no data of.
    const kind = type === RRType.NS && qn !== this.domain ? -1 : type;
    switch (kind) {
      case RRType.A:
      case RRType.AAAA:
        found = await this.#addresses(name, qn, type === RRType.A ? 'A' : 'AAAA', []);
        break;
      case RRType.TXT:
        found = qn === `dns-version.${this.domain}` ? [{ name, type: 'TXT', ttl: SCHEMA_TTL, texts: [DNS_SCHEMA_VERSION] }] : [];
        break;
      case RRType.CNAME: {
        const items = this.#services(qn, type);
        const first = items === NAME_ERROR ? undefined : items[0];
        found = items === NAME_ERROR ? NAME_ERROR : first && hostType(first.host) === 'CNAME' ? [{ name, type: 'CNAME', ttl: this.#o.ttl, target: first.host }] : [];
        break;
      }
      case RRType.SRV: {
        const srv = this.#srv(name, qn);
        found = srv === NAME_ERROR ? NAME_ERROR : srv.records;
        if (srv !== NAME_ERROR) extra = srv.extra;
        break;
      }
      case RRType.SOA:
        found = qn === this.domain ? [this.soa()] : [];
        break;
      case RRType.AXFR:
      case RRType.IXFR:
        return { rcode: Rcode.REFUSED, authoritative: false, answers: [], authorities: [], additionals: [] };
      case RRType.NS: {
        const seen = new Set<string>();
        found = [];
        for (const s of this.#nameservers()) {
          extra.push(addressRecord(s.name, s.ip, this.#o.ttl));
          if (seen.has(s.name)) continue;
          seen.add(s.name);
          found.push({ name, type: 'NS', ttl: this.#o.ttl, target: s.name });
        }
        break;
      }
      default: {
        // PTR, MX and the rest: no data of these types in the zone, but the name may exist (NODATA) or not (NXDOMAIN).
        const probe = this.#services(qn, type);
        found = probe === NAME_ERROR ? NAME_ERROR : [];
      }
    }
    if (found === NAME_ERROR) return this.#negative(this.#o.synced() ? Rcode.NXDOMAIN : Rcode.SERVFAIL);
    if (found.length === 0) return this.#negative(Rcode.NOERROR);
    return this.#ok(found, extra);
  }

  #ok(answers: ResourceRecord[], additionals: ResourceRecord[]): ZoneAnswer {
    return { rcode: Rcode.NOERROR, authoritative: true, answers, authorities: [], additionals };
  }

  #negative(rcode: number): ZoneAnswer {
    return { rcode, authoritative: true, answers: [], authorities: [this.soa()], additionals: [] };
  }

  /** A or AAAA records for `qn`, following an ExternalName's CNAME inside the zone or through `lookup` outside it. */
  async #addresses(name: string, qn: string, type: AddressType, chain: ResourceRecord[]): Promise<ResourceRecord[] | typeof NAME_ERROR> {
    const items = qn === this.domain ? [] : this.#services(qn, RRType[type]);
    if (items === NAME_ERROR) return NAME_ERROR;
    const records: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const kind = hostType(item.host);
      if (kind === type) {
        if (!seen.has(item.host)) {
          seen.add(item.host);
          records.push({ name, type, ttl: this.#o.ttl, address: item.host });
        }
        continue;
      }
      if (kind !== 'CNAME') continue;
      const target = canonicalName(item.host);
      if (target === qn || chain.length > MAX_CNAME_CHAIN) continue;
      if (chain.some((rr) => rr.type === 'CNAME' && canonicalName(rr.name) === qn && canonicalName(rr.target) === target)) continue;
      const cname: ResourceRecord = { name, type: 'CNAME', ttl: this.#o.ttl, target: item.host };
      if (inZone(target, this.domain)) {
        const next = await this.#addresses(item.host, target, type, [...chain, cname]);
        if (next !== NAME_ERROR && next.length > 0) records.push(cname, ...next);
        continue;
      }
      const upstream = await this.#o.lookup(target, RRType[type]);
      if (!upstream) continue;
      records.push(cname, ...upstream.answers.map(({ ttlOffset: _, ...rr }) => rr as ResourceRecord));
    }
    return records;
  }

  #srv(name: string, qn: string): { records: ResourceRecord[]; extra: ResourceRecord[] } | typeof NAME_ERROR {
    const items = this.#services(qn, RRType.SRV);
    if (items === NAME_ERROR) return NAME_ERROR;
    // Every item has priority 0 and weight 100: each record gets its share of 100.
    const weight = Math.max(1, Math.floor((100 / (100 * items.length)) * 100));
    const records: ResourceRecord[] = [];
    const extra: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      if (item.port === -1) continue;
      const kind = hostType(item.host);
      if (kind === 'CNAME') continue;
      const srvKey = `${item.target}\u0000${item.port}`;
      if (!seen.has(srvKey)) {
        seen.add(srvKey);
        records.push({ name, type: 'SRV', ttl: this.#o.ttl, priority: 0, weight, port: item.port, target: item.target });
      }
      const addrKey = `${item.target}\u0000${item.host}`;
      if (!seen.has(addrKey)) {
        seen.add(addrKey);
        extra.push(addressRecord(item.target, item.host, this.#o.ttl));
      }
    }
    return { records, extra };
  }

  /** CoreDNS's Services(): the special names first, then the records the name stands for. */
  #services(qn: string, type: number): Lookup {
    if (qn === `ns.dns.${this.domain}`) {
      const want = type === RRType.AAAA ? 'AAAA' : 'A';
      return this.#nameservers()
        .filter((s) => (type === RRType.A || type === RRType.AAAA) && hostType(s.ip) === want)
        .map((s) => ({ host: s.ip, port: 0, target: qn }));
    }
    const found = this.#records(qn);
    // SRV for ExternalName Services is not answered.
    if (type === RRType.SRV && found !== NAME_ERROR) return found.filter((f) => hostType(f.host) !== 'CNAME');
    return found;
  }

  #parse(qn: string): RequestParts | undefined | typeof NAME_ERROR {
    const labels = labelsBelow(qn, this.domain);
    const n = labels.length;
    if (n === 0 || (n === 1 && (labels[0] === 'svc' || labels[0] === 'pod'))) return undefined;
    const kind = labels[n - 1];
    if (kind !== 'svc' && kind !== 'pod') return NAME_ERROR;
    const parts: RequestParts = { kind, namespace: labels[n - 2]!, service: labels[n - 3] ?? '', endpoint: '', port: '', protocol: '' };
    if (n === 4) parts.endpoint = labels[0]!;
    else if (n === 5) {
      parts.port = stripUnderscore(labels[0]!);
      parts.protocol = stripUnderscore(labels[1]!);
    } else if (n > 5) return NAME_ERROR;
    return parts;
  }

  #records(qn: string): Lookup {
    const parts = this.#parse(qn);
    if (parts === NAME_ERROR) return NAME_ERROR;
    if (parts === undefined) return [];
    if (!this.#o.index.hasNamespace(parts.namespace)) return NAME_ERROR;
    if (parts.service === '') return [];
    return parts.kind === 'pod' ? this.#pod(parts) : this.#service(parts);
  }

  /** `pods insecure`: any dashed address in an existing namespace answers with that address. */
  #pod(r: RequestParts): Lookup {
    const dashes = r.service.split('-').length - 1;
    const text = dashes === 3 && !r.service.includes('--') ? r.service.replaceAll('-', '.') : r.service.replaceAll('-', ':');
    if (canonicalIp(text) === undefined) return NAME_ERROR;
    return [{ host: text, port: 0, target: `${r.service}.${r.namespace}.pod.${this.domain}` }];
  }

  #service(r: RequestParts): Lookup {
    const svc = this.#o.index.service(serviceKey(r.service, r.namespace));
    if (!svc) return NAME_ERROR;
    const domain = `${svc.name}.${svc.namespace}.svc.${this.domain}`;
    const out: Found[] = [];
    let exists = false;
    if (svc.externalName !== undefined) {
      if (r.endpoint || r.port || r.protocol || svc.externalName === '' || hostType(svc.externalName) !== 'CNAME') return NAME_ERROR;
      return [{ host: svc.externalName.replace(/\.$/, ''), port: 0, target: domain }];
    }
    if (svc.headless || r.endpoint) {
      for (const slice of this.#o.index.slicesOf(serviceKey(svc.name, svc.namespace))) {
        for (const ep of slice.endpoints) {
          if (!ep.ready && !svc.publishNotReadyAddresses) continue;
          const host = endpointHostname(ep);
          if (r.endpoint && r.endpoint !== host.toLowerCase()) continue;
          for (const p of slice.ports) {
            if (!matchPart(r.port, p.name) || !matchPart(r.protocol, p.protocol)) continue;
            exists = true;
            out.push({ host: ep.ip, port: p.port, target: `${host}.${domain}` });
          }
        }
      }
      return exists ? out : NAME_ERROR;
    }
    for (const p of svc.ports) {
      if (!matchPart(r.port, p.name) || !matchPart(r.protocol, p.protocol)) continue;
      exists = true;
      for (const ip of svc.clusterIPs) out.push({ host: ip, port: p.port, target: domain });
    }
    return exists ? out : NAME_ERROR;
  }

  /** PTR targets for `ip`: the Service with that cluster IP, else every endpoint with that address. */
  #reverse(ip: string): string[] {
    const svc = this.#o.index.servicesWithClusterIP(ip)[0];
    if (svc) return [`${svc.name}.${svc.namespace}.svc.${this.domain}`];
    const names = new Set<string>();
    for (const slice of this.#o.index.slicesWithAddress(ip)) {
      const owner: ServiceEntry | undefined = this.#o.index.service(slice.service);
      for (const ep of slice.endpoints) {
        if (ep.ip !== ip || (!ep.ready && !owner?.publishNotReadyAddresses)) continue;
        names.add(`${endpointHostname(ep)}.${slice.serviceName}.${slice.namespace}.svc.${this.domain}`);
      }
    }
    return [...names];
  }

  #nameservers(): Array<{ name: string; ip: string }> {
    const { namespace, name } = this.#o.dnsService;
    const svc = this.#o.index.service(serviceKey(name, namespace));
    if (svc && svc.clusterIPs.length > 0) {
      return svc.clusterIPs.map((ip) => ({ name: `${svc.name}.${svc.namespace}.svc.${this.domain}`, ip }));
    }
    return this.#o.fallbackNameservers().map((ip) => ({ name: `ns.dns.${this.domain}`, ip }));
  }
}

function addressRecord(name: string, ip: string, ttl: number): ResourceRecord {
  return hostType(ip) === 'AAAA' ? { name, type: 'AAAA', ttl, address: ip } : { name, type: 'A', ttl, address: ip };
}
