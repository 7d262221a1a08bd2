// Skiff's cluster DNS: the cluster zone from Services and EndpointSlices (CoreDNS's kubernetes plugin), everything
// else forwarded upstream through a small cache (CoreDNS's forward and cache plugins), on UDP and TCP on one port.
import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server as TcpServer, type Socket } from 'node:net';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { Namespace, Service } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { InformerFactory } from '../client/factory.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { ENDPOINT_SLICES, NAMESPACES, SERVICES } from '../client/resources.ts';
import { silentLogger, type Logger } from '../log.ts';
import { ResponseCache, cacheKey } from './cache.ts';
import { ClusterIndex } from './cluster-index.ts';
import { MAX_UDP_SIZE, MIN_UDP_SIZE, Opcode, Rcode, RRClass } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { formatServer, questionEnd, type ServerAddress } from './exchange.ts';
import { ForwardError, Forwarder } from './forward.ts';
import { FrameReader, frame } from './framing.ts';
import { KubernetesZone, type ZoneAnswer } from './kubernetes.ts';
import { emptyFlags, type DnsMessage } from './message.ts';
import { canonicalName } from './names.ts';
import { parseUpstream, readResolvConf, withoutSelf } from './upstreams.ts';

export interface ClusterDNSOptions {
  client: Client;
  /** Default cluster.local. */
  clusterDomain?: string;
  /** Resolvers for names outside the cluster: "1.2.3.4", "1.2.3.4:5353", "[::1]:53". Default: resolv.conf's nameservers. */
  upstreams?: string[];
  /** Where the default upstreams come from. Default /etc/resolv.conf. */
  resolvConf?: string;
  /** Port 0 picks a free port (the same one for UDP and TCP). */
  listen: { address: string; port: number };
  logger?: Logger;
  /** A shared factory, started by its owner; by default ClusterDNS makes and starts its own. */
  informers?: InformerFactory;
  /** TTL of cluster records (kubeadm's Corefile: `ttl 30`). */
  ttl?: number;
  /** Cap on how long forwarded answers are cached, in seconds; 0 turns the cache off. Default 30. */
  cacheSeconds?: number;
  /** Budget of one forwarded query across upstreams. Default 2000 ms. */
  forwardTimeoutMs?: number;
  /** Addresses of the cluster DNS Service (e.g. 10.96.0.10): never used as upstreams. */
  clusterDNSAddresses?: string[];
  /** The Service the zone's NS records name. Default kube-system/kube-dns. */
  dnsService?: { namespace: string; name: string };
  /** Forwarded queries in flight beyond this are REFUSED (CoreDNS's max_concurrent). Default 1000. */
  maxConcurrentForwards?: number;
}

export class DnsListenError extends Error {
  override name = 'DnsListenError';
  /** The system error code, e.g. EADDRINUSE when the port is taken. */
  readonly code: string | undefined;
  constructor(
    message: string,
    readonly address: string,
    readonly port: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.code = (options.cause as { code?: string } | undefined)?.code;
  }
}

const BIND_ATTEMPTS = 10;
const TCP_IDLE_MS = 10_000;
const TCP_MAX_CONNECTIONS = 1000;
const TCP_MAX_PIPELINED = 128;

interface Upstreamed {
  packet: Uint8Array;
  message: DnsMessage;
}

export class ClusterDNS {
  readonly #o: ClusterDNSOptions;
  readonly #log: Logger;
  readonly #index = new ClusterIndex();
  readonly #factory: InformerFactory;
  readonly #ownFactory: boolean;
  readonly #informers: Informer<KubeObject>[];
  readonly #zone: KubernetesZone;
  readonly #cache: ResponseCache | undefined;
  #forwarder: Forwarder | undefined;
  #bound: ServerAddress | undefined;
  #signal: AbortSignal | undefined;
  #forwarding = 0;
  readonly #connections = new Set<Socket>();
  #stopped: Promise<void> = Promise.resolve();

  constructor(options: ClusterDNSOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger();
    this.#ownFactory = !options.informers;
    this.#factory = options.informers ?? new InformerFactory(options.client, (gvr, err) => this.#log.debug('informer error', { resource: gvr.resource, error: err }));
    const services = this.#factory.informer<Service & KubeObject>(SERVICES);
    const slices = this.#factory.informer<EndpointSlice & KubeObject>(ENDPOINT_SLICES);
    const namespaces = this.#factory.informer<Namespace & KubeObject>(NAMESPACES);
    this.#informers = [services, slices, namespaces] as Informer<KubeObject>[];
    const changed = (a: KubeObject, b: KubeObject) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion;
    services.addEventHandler({
      onAdd: (svc) => this.#index.upsertService(svc),
      onUpdate: (old, svc) => changed(old, svc) && this.#index.upsertService(svc),
      onDelete: (svc) => this.#index.deleteService(svc),
    });
    slices.addEventHandler({
      onAdd: (s) => this.#index.upsertSlice(objectKey(s), s),
      onUpdate: (old, s) => changed(old, s) && this.#index.upsertSlice(objectKey(s), s),
      onDelete: (s) => this.#index.deleteSlice(objectKey(s)),
    });
    namespaces.addEventHandler({
      onAdd: (ns) => this.#index.setNamespace(ns.metadata?.name ?? '', true),
      onDelete: (ns) => this.#index.setNamespace(ns.metadata?.name ?? '', false),
    });
    const cacheSeconds = options.cacheSeconds ?? 30;
    this.#cache = cacheSeconds > 0 ? new ResponseCache({ maxTtl: cacheSeconds }) : undefined;
    this.#zone = new KubernetesZone({
      domain: options.clusterDomain ?? 'cluster.local',
      ttl: options.ttl ?? 30,
      index: this.#index,
      synced: () => this.#informers.every((i) => i.hasSynced()),
      lookup: (name, type) => this.#lookupUpstream(name, type),
      dnsService: options.dnsService ?? { namespace: 'kube-system', name: 'kube-dns' },
      fallbackNameservers: () => (this.#bound && !/^(0\.0\.0\.0|::)$/.test(this.#bound.address) ? [this.#bound.address] : []),
    });
  }

  /** The upstream resolvers in use (after start). */
  get upstreams(): string[] {
    return this.#forwarder?.upstreams.map(formatServer) ?? [];
  }

  /**
   * Binds UDP and TCP on one port and starts answering; everything stops when `signal` aborts. Rejects with
   * DnsListenError (code EADDRINUSE when the port is taken) when it cannot listen.
   */
  async start(signal: AbortSignal): Promise<{ address: string; port: number }> {
    if (this.#signal) throw new Error('ClusterDNS already started');
    this.#signal = signal;
    const { address, port } = this.#o.listen;
    const given = this.#o.upstreams?.map(parseUpstream);
    const [udp, tcp, bound] = await this.#bind(address, port);
    this.#bound = { address, port: bound };

    const configured =
      given ??
      (await readResolvConf(this.#o.resolvConf ?? '/etc/resolv.conf').catch((err: unknown) => {
        this.#log.warn('cannot read resolv.conf', { error: err });
        return [];
      }));
    const upstreams = withoutSelf(configured, this.#bound, this.#o.clusterDNSAddresses);
    if (upstreams.length === 0) this.#log.warn('no upstream resolvers: names outside the cluster get SERVFAIL');
    const forwarderOptions = { upstreams, logger: this.#log.child('forward') };
    this.#forwarder = new Forwarder(this.#o.forwardTimeoutMs !== undefined ? { ...forwarderOptions, timeoutMs: this.#o.forwardTimeoutMs } : forwarderOptions);

    udp.on('message', (packet, rinfo) => {
      this.#handle(packet, true).then(
        (response) => {
          // Without a callback, send failures arrive as 'error' events (logged below).
          if (response && !signal.aborted) udp.send(response, rinfo.port, rinfo.address);
        },
        (err: unknown) => this.#log.error('cannot answer a query', { error: err }),
      );
    });
    udp.on('error', (err) => this.#log.warn('UDP socket error', { error: err }));
    tcp.on('connection', (socket) => this.#serveTcp(socket));
    tcp.on('error', (err) => this.#log.warn('TCP listener error', { error: err }));

    if (this.#ownFactory) this.#factory.start(signal);
    this.#stopped = new Promise<void>((resolve) => {
      const stop = () => {
        this.#forwarder?.close();
        for (const socket of this.#connections) socket.destroy();
        let open = 2;
        const closed = () => {
          if (--open > 0) return;
          if (this.#ownFactory) void this.#factory.stopped().then(() => resolve());
          else resolve();
        };
        udp.close(closed);
        tcp.close(closed);
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    this.#log.info('cluster DNS listening', { address, port: bound, domain: this.#zone.domain, upstreams: this.upstreams });
    return { address, port: bound };
  }

  /** Resolves once Services, EndpointSlices and Namespaces have been listed. */
  async waitForSync(signal: AbortSignal): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.waitForSync(signal)));
  }

  /** Settles once the sockets (and informers it started) have closed after the start signal aborted. */
  stopped(): Promise<void> {
    return this.#stopped;
  }

  async #bind(address: string, port: number): Promise<[UdpSocket, TcpServer, number]> {
    for (let attempt = 1; ; attempt++) {
      const udp = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
      let bound: number;
      try {
        bound = await new Promise<number>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind({ address, port, exclusive: true }, () => {
            udp.off('error', reject);
            resolve(udp.address().port);
          });
        });
      } catch (err) {
        udp.close();
        throw new DnsListenError(`cannot listen on UDP ${formatServer({ address, port })}`, address, port, { cause: err });
      }
      try {
        const tcp = await listenTcp(address, bound);
        return [udp, tcp, bound];
      } catch (err) {
        udp.close();
        // A free UDP port whose TCP twin is taken: with port 0, try another.
        if (port === 0 && attempt < BIND_ATTEMPTS) continue;
        throw new DnsListenError(`cannot listen on TCP ${formatServer({ address, port: bound })}`, address, bound, { cause: err });
      }
    }
  }

  #serveTcp(socket: Socket): void {
    if (this.#connections.size >= TCP_MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    this.#connections.add(socket);
    const reader = new FrameReader();
    let inFlight = 0;
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      for (const packet of reader.push(chunk)) {
        inFlight++;
        if (inFlight >= TCP_MAX_PIPELINED) socket.pause();
        void this.#handle(packet, false)
          .then(
            (response) => response && !socket.destroyed && socket.write(frame(response)),
            (err: unknown) => this.#log.error('cannot answer a query', { error: err }),
          )
          .finally(() => {
            inFlight--;
            if (socket.isPaused() && inFlight < TCP_MAX_PIPELINED) socket.resume();
          });
      }
    });
  }

  /** The answer to one packet, or undefined to stay silent (not a query). Never throws. */
  async #handle(packet: Buffer, udp: boolean): Promise<Uint8Array | undefined> {
    if (packet.length < 12 || (packet[2]! & 0x80) !== 0) return undefined;
    let query: DnsMessage;
    try {
      query = decodeMessage(packet);
    } catch {
      return headerReply(packet, Rcode.FORMERR);
    }
    try {
      if (query.flags.opcode !== Opcode.QUERY) return this.#reply(query, Rcode.NOTIMP, udp);
      const question = query.questions[0];
      if (query.questions.length !== 1 || !question) return this.#reply(query, Rcode.FORMERR, udp);
      if (query.edns && query.edns.version > 0) return this.#reply(query, Rcode.BADVERS, udp);
      const zone = await this.#zone.answer(question.name, question.type);
      if (zone) return this.#reply(query, zone.rcode, udp, zone);
      return await this.#forward(packet, query, udp);
    } catch (err) {
      this.#log.warn('query failed', { name: query.questions[0]?.name, type: query.questions[0]?.type, error: err });
      return this.#reply(query, Rcode.SERVFAIL, udp);
    }
  }

  #reply(query: DnsMessage, rcode: number, udp: boolean, zone?: ZoneAnswer, options: { tc?: boolean; ra?: boolean } = {}): Uint8Array {
    const maxSize = udp ? udpSize(query) : undefined;
    const msg: DnsMessage = {
      id: query.id,
      flags: { ...emptyFlags(), qr: true, opcode: query.flags.opcode, aa: zone?.authoritative ?? false, tc: options.tc ?? false, rd: query.flags.rd, ra: options.ra ?? !zone, cd: query.flags.cd },
      rcode,
      questions: query.questions,
      answers: zone?.answers ?? [],
      authorities: zone?.authorities ?? [],
      additionals: zone?.additionals ?? [],
    };
    if (query.edns) msg.edns = { udpPayloadSize: udpSize(query), extendedRcode: 0, version: 0, dnssecOk: query.edns.dnssecOk, options: [] };
    return encodeMessage(msg, maxSize !== undefined ? { maxSize } : {});
  }

  async #forward(packet: Buffer, query: DnsMessage, udp: boolean): Promise<Uint8Array> {
    const q = query.questions[0]!;
    const key = cacheKey(canonicalName(q.name), q.type, q.class, query.edns?.dnssecOk ?? false, query.flags.cd);
    const cached = this.#cache?.get(key);
    let response: Uint8Array;
    let rcode: number;
    let ra = true;
    if (cached) {
      response = cached;
      // The cached packet answered someone else: give it this query's ID and question (same length, maybe other case).
      const end = questionEnd(packet);
      if (questionEnd(response) !== end) return this.#reply(query, Rcode.SERVFAIL, udp);
      response.set(packet.subarray(0, 2), 0);
      response.set(packet.subarray(12, end), 12);
      rcode = response[3]! & 0xf;
      ra = (response[3]! & 0x80) !== 0;
    } else {
      const upstream = await this.#upstream(packet, key, !udp);
      if (upstream === 'refused') return this.#reply(query, Rcode.REFUSED, udp);
      if (!upstream) return this.#reply(query, Rcode.SERVFAIL, udp);
      response = upstream.packet;
      rcode = upstream.message.rcode & 0xf;
      ra = upstream.message.flags.ra;
    }
    // Too big for this client's UDP buffer: an empty truncated answer sends it to TCP.
    if (udp && response.length > udpSize(query)) return this.#reply(query, rcode, udp, undefined, { tc: true, ra });
    return response;
  }

  /** Asks the upstreams (through the cache); undefined when they fail, 'refused' when too many queries are in flight. */
  async #upstream(packet: Uint8Array, key: string, tcp: boolean): Promise<Upstreamed | undefined | 'refused'> {
    const forwarder = this.#forwarder;
    if (!forwarder) return undefined;
    if (this.#forwarding >= (this.#o.maxConcurrentForwards ?? 1000)) return 'refused';
    this.#forwarding++;
    try {
      const response = await forwarder.exchange(packet, this.#signal ? { tcp, signal: this.#signal } : { tcp });
      const message = decodeMessage(response);
      const sent = this.#cache?.put(key, response, message) ?? response;
      return { packet: sent, message: sent === response ? message : decodeMessage(sent) };
    } catch (err) {
      if (!(err instanceof ForwardError)) this.#log.debug('upstream answer unusable', { error: err });
      return undefined;
    } finally {
      this.#forwarding--;
    }
  }

  /** An ExternalName target outside the cluster, resolved as a client's query would be. */
  async #lookupUpstream(name: string, type: number): Promise<DnsMessage | undefined> {
    const key = cacheKey(canonicalName(name), type, RRClass.IN, false, false);
    const cached = this.#cache?.get(key);
    if (cached) return decodeMessage(cached);
    const query = encodeMessage({
      id: randomInt(0x10000),
      flags: { ...emptyFlags(), rd: true },
      rcode: 0,
      questions: [{ name, type, class: RRClass.IN }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    const upstream = await this.#upstream(query, key, false);
    return upstream && upstream !== 'refused' ? upstream.message : undefined;
  }
}

function udpSize(query: DnsMessage): number {
  return Math.min(MAX_UDP_SIZE, Math.max(MIN_UDP_SIZE, query.edns?.udpPayloadSize ?? MIN_UDP_SIZE));
}

/** A reply that is only a header (for packets too broken to read a question from). */
function headerReply(packet: Uint8Array, rcode: number): Uint8Array {
  const out = Buffer.alloc(12);
  out[0] = packet[0]!;
  out[1] = packet[1]!;
  out[2] = 0x80 | (packet[2]! & 0x79); // QR, the opcode and RD
  out[3] = rcode & 0xf;
  return out;
}

function listenTcp(address: string, port: number): Promise<TcpServer> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.maxConnections = TCP_MAX_CONNECTIONS;
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
