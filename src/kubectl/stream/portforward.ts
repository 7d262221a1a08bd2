// The client side of port-forward (client-go's tools/portforward): SPDY/3.1 tunnelled through a WebSocket with the
// subprotocol SPDY/3.1+portforward.k8s.io, or a plain SPDY upgrade when that is refused; local listeners on each
// address and port; every accepted connection becomes an error stream and a data stream with a shared requestID.
import net from 'node:net';
import type { Duplex, Writable } from 'node:stream';
import type { Container, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import type { SpdySession as SpdySessionType } from '../../kubelet/server/spdy.ts';
import { ApiError } from '../../client/errors.ts';
import { dialWebSocket, SpdyUpgradeError, upgradeSpdy, UpgradeFailureError, type StreamTarget } from './dial.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const TUNNEL_PREFIX = 'SPDY/3.1+';

/** A failure kubectl prints as `error: <message>`. */
export class PortForwardError extends Error {
  override name = 'PortForwardError';
}

export interface ForwardedPort {
  local: number;
  remote: number;
}

export interface ListenAddress {
  address: string;
  family: 4 | 6;
  /** 'all': localhost's two addresses, one of which may fail; 'any': an address given, which must not. */
  failureMode: 'all' | 'any';
}

function parseUint16(text: string): number | string {
  if (!/^\d+$/.test(text)) return `strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`;
  const n = Number(text);
  return n > 65535 ? `strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range` : n;
}

/** `5000`, `8888:5000`, `:5000` and `0:5000` (a random local port). */
export function parsePorts(specs: readonly string[]): ForwardedPort[] {
  return specs.map((spec) => {
    const parts = spec.split(':');
    if (parts.length > 2) throw new PortForwardError(`invalid port format '${spec}'`);
    const localText = parts.length === 1 ? parts[0]! : parts[0] || '0';
    const remoteText = parts.length === 1 ? parts[0]! : parts[1]!;
    const local = parseUint16(localText);
    if (typeof local === 'string') throw new PortForwardError(`error parsing local port '${localText}': ${local}`);
    const remote = parseUint16(remoteText);
    if (typeof remote === 'string') throw new PortForwardError(`error parsing remote port '${remoteText}': ${remote}`);
    if (remote === 0) throw new PortForwardError('remote port must be > 0');
    return { local, remote };
  });
}

/** --address values: `localhost` is 127.0.0.1 and ::1; the list sorted as strings, as client-go sorts it. */
export function parseAddresses(addresses: readonly string[]): ListenAddress[] {
  const parsed = new Map<string, ListenAddress>();
  for (const address of addresses) {
    if (address === 'localhost') {
      if (!parsed.has('127.0.0.1')) parsed.set('127.0.0.1', { address: '127.0.0.1', family: 4, failureMode: 'all' });
      if (!parsed.has('::1')) parsed.set('::1', { address: '::1', family: 6, failureMode: 'all' });
    } else if (net.isIPv4(address)) parsed.set(address, { address, family: 4, failureMode: 'any' });
    else if (net.isIPv6(address)) parsed.set(address, { address, family: 6, failureMode: 'any' });
    else throw new PortForwardError(`${address} is not a valid IP`);
  }
  return [...parsed.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function splitPort(spec: string): [string, string] {
  const parts = spec.split(':');
  return parts.length === 2 ? [parts[0]!, parts[1]!] : [parts[0]!, parts[0]!];
}

function containersOf(pod: Pod): Container[] {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
}

function containerPortByName(pod: Pod, name: string): number {
  for (const c of containersOf(pod)) for (const p of c.ports ?? []) if (p.name === name) return p.containerPort;
  throw new PortForwardError(`Pod '${pod.metadata?.name ?? ''}' does not have a named port '${name}'`);
}

function servicePortByName(svc: Service, name: string): number {
  const found = (svc.spec?.ports ?? []).find((p) => p.name === name);
  if (!found) throw new PortForwardError(`Service '${svc.metadata?.name ?? ''}' does not have a named port '${name}'`);
  return found.port;
}

/** UDP-only ports cannot be forwarded (checkUDPPortInPod / checkUDPPortInService). */
function checkUdp(specs: readonly string[], ports: Array<{ port: number; protocol?: string | undefined }>, lookup: (name: string) => number): void {
  const udp = new Set(ports.filter((p) => p.protocol === 'UDP').map((p) => p.port));
  for (const p of ports) if ((p.protocol ?? 'TCP') === 'TCP') udp.delete(p.port);
  for (const spec of specs) {
    const remote = splitPort(spec)[1];
    const n = /^\d+$/.test(remote) ? Number(remote) : lookup(remote);
    if (udp.has(n)) throw new PortForwardError(`UDP protocol is not supported for ${remote}`);
  }
}

/** Named container ports to numbers (convertPodNamedPortToNumber). */
export function podPorts(specs: readonly string[], pod: Pod): string[] {
  checkUdp(
    specs,
    (pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol }))),
    (name) => containerPortByName(pod, name),
  );
  return specs.map((spec) => {
    const [local, remote] = splitPort(spec);
    if (remote === '') throw new PortForwardError('remote port cannot be empty');
    const number = /^\d+$/.test(remote) ? remote : String(containerPortByName(pod, remote));
    return local !== remote ? `${local}:${number}` : number;
  });
}

/** Service ports to the pod's target ports (translateServicePortToTargetPort). */
export function servicePorts(specs: readonly string[], svc: Service, pod: Pod): string[] {
  checkUdp(
    specs,
    (svc.spec?.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol })),
    (name) => servicePortByName(svc, name),
  );
  return specs.map((spec) => {
    let [local, remote] = splitPort(spec);
    let port = Number(remote);
    if (!/^\d+$/.test(remote)) {
      port = servicePortByName(svc, remote);
      if (local === remote) local = String(port);
    }
    const svcPort = (svc.spec?.ports ?? []).find((p) => p.port === port);
    if (!svcPort) throw new PortForwardError(`Service ${svc.metadata?.name ?? ''} does not have a service port ${port}`);
    let target: number;
    const tp = svcPort.targetPort;
    if (svc.spec?.clusterIP === 'None') target = port;
    else if (tp === undefined || typeof tp === 'number') target = tp ? tp : svcPort.port;
    else if (/^\d+$/.test(tp)) target = Number(tp);
    else target = containerPortByName(pod, tp);
    remote = String(target);
    return local !== remote ? `${local}:${remote}` : remote;
  });
}

/** Opens the port-forward session: the tunnel first, plain SPDY if the WebSocket upgrade is refused. */
export async function dialPortForward(target: StreamTarget): Promise<SpdySessionType> {
  const { SpdySession } = await import('../../kubelet/server/spdy.ts');
  let transport: Duplex;
  let protocol: string;
  try {
    try {
      const { webSocketStream } = await import('../../kubelet/server/portforward.ts');
      const dialed = await dialWebSocket(target, [TUNNEL_PREFIX + PORT_FORWARD_PROTOCOL], { tunnel: true });
      transport = webSocketStream(dialed.ws);
      protocol = dialed.protocol.startsWith(TUNNEL_PREFIX) ? dialed.protocol.slice(TUNNEL_PREFIX.length) : dialed.protocol;
    } catch (err) {
      if (!(err instanceof UpgradeFailureError)) throw err;
      const upgraded = await upgradeSpdy(target, [PORT_FORWARD_PROTOCOL]);
      if (upgraded.head.length) upgraded.socket.unshift(upgraded.head);
      upgraded.socket.setNoDelay(true);
      transport = upgraded.socket;
      protocol = upgraded.protocol;
    }
  } catch (err) {
    const message = err instanceof ApiError ? (err.status.message ?? err.message) : err instanceof SpdyUpgradeError ? err.message : (err as Error).message;
    throw new PortForwardError(`error upgrading connection: ${message}`, { cause: err });
  }
  const session = new SpdySession(transport, { role: 'client' });
  if (protocol !== PORT_FORWARD_PROTOCOL) {
    session.destroy();
    throw new PortForwardError(`unable to negotiate protocol: client supports "${PORT_FORWARD_PROTOCOL}", server returned "${protocol}"`);
  }
  return session;
}

/** klog's line for an error client-go hands to runtime.HandleError (kubectl 1.35: "Unhandled Error"). */
export function klogError(fileLine: string, err: string, now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${p(now.getMonth() + 1)}${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())}.${p(now.getMilliseconds() * 1000, 6)}`;
  return `E${stamp} ${String(process.pid).padStart(7)} ${fileLine}] "Unhandled Error" err=${JSON.stringify(err)}\n`;
}

function listenError(err: NodeJS.ErrnoException, family: 4 | 6, address: string, port: number): string {
  const where = `listen tcp${family} ${net.isIPv6(address) ? `[${address}]` : address}:${port}`;
  const why: Record<string, string> = { EADDRINUSE: 'bind: address already in use', EADDRNOTAVAIL: 'bind: cannot assign requested address', EACCES: 'bind: permission denied' };
  return `unable to create listener: Error ${where}: ${why[err.code ?? ''] ?? err.message}`;
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface ForwarderOptions {
  addresses: ListenAddress[];
  ports: ForwardedPort[];
  out: Writable;
  errOut: Writable;
}

/** Listens on every address and port and forwards each connection over `session` until stopped or the session ends. */
export class PortForwarder {
  readonly #session: SpdySessionType;
  readonly #o: ForwarderOptions;
  readonly #servers: net.Server[] = [];
  #requestId = 0;

  constructor(session: SpdySessionType, options: ForwarderOptions) {
    this.#session = session;
    this.#o = options;
  }

  /** Binds the listeners, printing `Forwarding from …` for each; fails only when no port could be bound at all. */
  async listen(): Promise<void> {
    let any = false;
    for (const port of this.#o.ports) {
      const errors: string[] = [];
      const failed = { all: 0, any: 0 };
      const succeeded = { all: 0, any: 0 };
      for (const addr of this.#o.addresses) {
        try {
          await this.#listenOn(port, addr);
          succeeded[addr.failureMode]++;
        } catch (err) {
          errors.push((err as Error).message);
          failed[addr.failureMode]++;
        }
      }
      if ((succeeded.all === 0 && failed.all > 0) || failed.any > 0) {
        this.#o.errOut.write(`Unable to listen on port ${port.local}: Listeners failed to create with the following errors: [${errors.join(' ')}]\n`);
      } else any = true;
    }
    if (!any) throw new PortForwardError(`unable to listen on any of the requested ports: [${this.#o.ports.map((p) => `{${p.local} ${p.remote}}`).join(' ')}]`);
  }

  #listenOn(port: ForwardedPort, addr: ListenAddress): Promise<void> {
    return new Promise((resolve, reject) => {
      // Half-open: the local side may finish sending and still read the answer, as with Go's TCP connections.
      const server = net.createServer({ allowHalfOpen: true }, (conn) => this.#handle(conn, { ...port }));
      server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(listenError(err, addr.family, addr.address, port.local))));
      server.listen({ host: addr.address, port: port.local, ipv6Only: addr.family === 6, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        port.local = (server.address() as net.AddressInfo).port;
        this.#o.out.write(`Forwarding from ${joinHostPort(addr.address, port.local)} -> ${port.remote}\n`);
        this.#servers.push(server);
        resolve();
      });
    });
  }

  #handle(conn: net.Socket, port: ForwardedPort): void {
    conn.on('error', () => undefined);
    this.#o.out.write(`Handling connection for ${port.local}\n`);
    const requestid = String(this.#requestId++);
    const headers = { streamtype: 'error', port: String(port.remote), requestid };
    let errorStream, dataStream;
    try {
      errorStream = this.#session.openStream(headers);
      errorStream.end();
    } catch (err) {
      this.#o.errOut.write(klogError('portforward.go:357', `error creating error stream for port ${port.local} -> ${port.remote}: ${(err as Error).message}`));
      conn.destroy();
      return;
    }
    try {
      dataStream = this.#session.openStream({ ...headers, streamtype: 'data' });
    } catch (err) {
      this.#o.errOut.write(klogError('portforward.go:380', `error creating forwarding stream for port ${port.local} -> ${port.remote}: ${(err as Error).message}`));
      conn.destroy();
      return;
    }
    const errorText = new Promise<string>((resolve) => {
      let text = '';
      errorStream.on('data', (c: Buffer) => (text += c.toString('utf8')));
      errorStream.on('end', () => resolve(text));
      errorStream.on('close', () => resolve(text));
      errorStream.on('error', () => resolve(text));
    });
    const data = dataStream;
    data.on('error', () => undefined);
    const remoteDone = new Promise<void>((resolve) => {
      data.on('data', (c: Buffer) => {
        if (!conn.write(c)) {
          data.pause();
          conn.once('drain', () => data.resume());
        }
      });
      data.on('end', resolve);
      data.on('close', resolve);
    });
    const localError = new Promise<void>((resolve) => conn.once('error', () => resolve()));
    conn.pipe(data);
    void Promise.race([remoteDone, localError]).then(async () => {
      data.reset();
      // Go's conn.Close: both directions, once what the pod sent has been handed over.
      conn.end(() => conn.destroy());
      const message = await errorText;
      if (message) {
        this.#o.errOut.write(klogError('portforward.go:424', `an error occurred forwarding ${port.local} -> ${port.remote}: ${message}`));
        this.#session.close();
      }
    });
  }

  /** Runs until the signal aborts (resolves) or the session ends first (rejects: `lost connection to pod`). */
  async run(signal: AbortSignal): Promise<void> {
    const pinger = setInterval(() => void this.#session.ping().catch(() => undefined), 10_000);
    pinger.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
        void this.#session.closed.then(() => reject(new PortForwardError('lost connection to pod')));
      });
    } finally {
      clearInterval(pinger);
      for (const s of this.#servers) s.close();
      this.#session.close();
    }
  }
}
