// `kubectl port-forward` on the node agent. kubectl 1.35 opens a WebSocket with the subprotocol
// SPDY/3.1+portforward.k8s.io and tunnels SPDY/3.1 through its binary messages, or falls back to a plain
// `Upgrade: SPDY/3.1` request with `X-Stream-Protocol-Version: portforward.k8s.io`. Either way each forwarded
// connection is a pair of streams sharing a requestID: the error stream, then the data stream. The data stream is
// spliced to a connection the target dials to the pod's port, with half-close both ways; what goes wrong is written
// to the error stream as kubelet's streaming server words it (pkg/kubelet/cri/streaming/portforward/httpstream.go).
import { setMaxListeners } from 'node:events';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { RstStatus, SpdySession, type SpdyHeaders, type SpdyStream } from './spdy.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const SPDY_UPGRADE = 'SPDY/3.1';
/** The WebSocket subprotocol under which kubectl tunnels port-forward's SPDY. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = `${SPDY_UPGRADE}+${PORT_FORWARD_PROTOCOL}`;
/** Upstream's streaming-server default for a request's two streams to arrive. */
const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** Where forwarded connections go: one dial per connection kubectl forwards. */
export interface PortForwardTarget {
  /** A connection to `port` of the pod; the signal aborts when the port-forward session ends. */
  dial(port: number, signal: AbortSignal): Promise<Duplex>;
  /** For error messages: "error forwarding port 80 to pod <podName>, uid <podUID>: …". */
  readonly podName?: string;
  readonly podUID?: string;
}

/**
 * A failure whose message is already what upstream writes to kubectl's error stream, e.g. passed on from containerd's
 * streaming server; the handler writes it unchanged.
 */
export class RemotePortForwardError extends Error {
  override name = 'RemotePortForwardError';
}

export interface PortForwardOptions {
  /** How long a request's data and error streams may take to both arrive (default 30 s). */
  streamCreationTimeoutMs?: number;
  /** Ends the session (GOAWAY) and every forwarded connection, e.g. when the agent stops. */
  signal?: AbortSignal;
  log?: (message: string) => void;
}

function headerList(value: string | string[] | undefined): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** Answers an upgrade request on its raw socket with an HTTP error, as Go's http.Error words it. */
function rejectUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = `${message}\n`;
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n' +
      `${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Serves one port-forward request, from an HTTP server's 'upgrade' event (or a request routed there): does the
 * WebSocket or SPDY handshake itself, then forwards every connection kubectl opens over it until either side closes.
 */
export function handlePortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: PortForwardTarget,
  options: PortForwardOptions = {},
): void {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  const connection = (req.headers.connection ?? '').toLowerCase();
  if (upgrade === 'websocket') return upgradeWebSocket(req, socket, head, target, options);
  if (connection.includes('upgrade') && upgrade.includes(SPDY_UPGRADE.toLowerCase())) return upgradeSpdy(req, socket, head, target, options);
  rejectUpgrade(socket, 400, 'unable to upgrade: missing upgrade headers in request');
}

function upgradeWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget, options: PortForwardOptions): void {
  if (!headerList(req.headers['sec-websocket-protocol']).includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
    rejectUpgrade(socket, 400, 'unable to upgrade: no tunneling spdy protocols provided');
    return;
  }
  // ws only takes RFC 7230 tokens as subprotocols, and '/' is not a token character: it is answered here instead.
  delete req.headers['sec-websocket-protocol'];
  const server = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
  server.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL_PROTOCOL}`));
  server.handleUpgrade(req, socket, head, (ws) => {
    server.close();
    serve(webSocketStream(ws), target, options);
  });
}

function upgradeSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget, options: PortForwardOptions): void {
  const offered = headerList(req.headers['x-stream-protocol-version']);
  if (offered.length === 0) {
    rejectUpgrade(socket, 400, 'unable to upgrade: header X-Stream-Protocol-Version does not exist in request');
    return;
  }
  if (!offered.includes(PORT_FORWARD_PROTOCOL)) {
    rejectUpgrade(
      socket,
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${PORT_FORWARD_PROTOCOL}]`,
      { 'X-Accepted-Stream-Protocol-Versions': PORT_FORWARD_PROTOCOL },
    );
    return;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n' +
      `Upgrade: ${SPDY_UPGRADE}\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
  );
  if (head.length > 0) socket.unshift(head);
  serve(socket, target, options);
}

/** The tunnel was not set up: the server refused the upgrade or chose another subprotocol. */
export class TunnelUpgradeError extends Error {
  override name = 'TunnelUpgradeError';
}

/**
 * The client side of kubectl's tunnel (for tests, and for proxies that dial a node agent): a WebSocket offering
 * SPDY/3.1+portforward.k8s.io, as a byte stream to run a client SpdySession over. ws refuses that subprotocol name
 * (not an RFC 7230 token), so it is sent as a plain header and the server's choice is checked here.
 */
export async function dialPortForwardTunnel(url: string, options: ClientOptions = {}): Promise<Duplex> {
  const ws = new WebSocket(url, {
    ...options,
    perMessageDeflate: false,
    headers: { ...options.headers, 'Sec-WebSocket-Protocol': PORT_FORWARD_TUNNEL_PROTOCOL },
  });
  let chosen: string | undefined;
  ws.once('upgrade', (response) => {
    chosen = response.headers['sec-websocket-protocol'];
    delete response.headers['sec-websocket-protocol'];
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (error) => reject(new TunnelUpgradeError(`unable to upgrade connection: ${error.message}`, { cause: error })));
  });
  if (chosen !== PORT_FORWARD_TUNNEL_PROTOCOL) {
    ws.terminate();
    throw new TunnelUpgradeError(`unable to upgrade connection: the server chose subprotocol "${chosen ?? ''}"`);
  }
  return webSocketStream(ws);
}

/**
 * A WebSocket's bytes as a Duplex: each write goes out as one binary message and incoming binary messages are read
 * as one byte stream, which is how kubectl tunnels SPDY (client-go's TunnelingConnection). Ending closes with 1000.
 */
export function webSocketStream(ws: WebSocket): Duplex {
  const stream = new Duplex({
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      ws.send(chunk, { binary: true }, (error) => callback(error ?? null));
    },
    final(callback) {
      ws.close(1000);
      callback();
    },
    destroy(error, callback) {
      if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) {
        if (error) ws.terminate();
        else ws.close(1000);
      }
      callback(error);
    },
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      stream.destroy(new Error('invalid message type received: text'));
      return;
    }
    if (!stream.push(data)) ws.pause();
  });
  ws.on('close', () => {
    stream.push(null);
    // The peer is gone: nothing written from here on could arrive.
    if (!stream.writableFinished) stream.destroy();
  });
  ws.on('error', (error) => stream.destroy(error));
  return stream;
}

function serve(transport: Duplex, target: PortForwardTarget, options: PortForwardOptions): void {
  if ('setNoDelay' in transport && typeof transport.setNoDelay === 'function') transport.setNoDelay(true);
  new PortForwardSession(transport, target, options);
}

interface StreamPair {
  requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Why a stream cannot be part of a port-forward request (upstream's wording), or undefined. */
function invalidStream(headers: SpdyHeaders): string | undefined {
  const port = headers.port;
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const streamType = headers.streamtype;
  if (!streamType) return '"streamType" header is required';
  if (streamType !== 'error' && streamType !== 'data') return `invalid stream type "${streamType}"`;
  return undefined;
}

class PortForwardSession {
  readonly #session: SpdySession;
  readonly #target: PortForwardTarget;
  readonly #timeoutMs: number;
  readonly #log: (message: string) => void;
  readonly #pairs = new Map<string, StreamPair>();
  readonly #stop = new AbortController();
  readonly #connections = new Set<Duplex>();

  constructor(transport: Duplex, target: PortForwardTarget, options: PortForwardOptions) {
    // Every dial in flight listens on it.
    setMaxListeners(0, this.#stop.signal);
    this.#target = target;
    this.#timeoutMs = options.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS;
    this.#log = options.log ?? (() => undefined);
    this.#session = new SpdySession(transport, { role: 'server' });
    this.#session.on('stream', (stream) => this.#accept(stream));
    const { signal } = options;
    const onAbort = () => this.#session.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    this.#session.once('close', (error) => {
      signal?.removeEventListener('abort', onAbort);
      for (const pair of this.#pairs.values()) clearTimeout(pair.timer);
      this.#pairs.clear();
      this.#stop.abort();
      for (const connection of this.#connections) connection.destroy();
      if (error) this.#log(`port-forward session ended: ${error.message}`);
    });
  }

  #accept(stream: SpdyStream): void {
    const problem = invalidStream(stream.headers);
    if (problem) {
      this.#log(`port-forward: stream ${stream.id} rejected: ${problem}`);
      stream.reset(RstStatus.REFUSED_STREAM);
      return;
    }
    // Resets from kubectl end streams with errors only for unusual statuses; cleanup happens on 'close' either way.
    stream.on('error', () => undefined);
    stream.respond();
    const streamType = stream.headers.streamtype;
    // kubectl before 1.7 sent no requestID; upstream pairs such streams by their consecutive ids.
    const requestId = stream.headers.requestid ?? String(streamType === 'error' ? stream.id : stream.id - 2);
    let pair = this.#pairs.get(requestId);
    if (!pair) {
      const created: StreamPair = { requestId, timer: setTimeout(() => this.#timedOut(created), this.#timeoutMs) };
      created.timer.unref();
      this.#pairs.set(requestId, created);
      pair = created;
    }
    const slot = streamType === 'error' ? 'error' : 'data';
    if (pair[slot]) {
      this.#report(pair.error, `error processing stream for request ${requestId}: ${slot} stream already assigned`);
      stream.reset();
      return;
    }
    pair[slot] = stream;
    // kubectl writes nothing on the error stream; reading it lets its FIN through.
    if (slot === 'error') stream.resume();
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      this.#pairs.delete(requestId);
      void this.#forward(pair.data, pair.error, Number(pair.data.headers.port));
    }
  }

  #timedOut(pair: StreamPair): void {
    if (this.#pairs.get(pair.requestId) !== pair) return;
    this.#pairs.delete(pair.requestId);
    const message = `(request=${pair.requestId}) timed out waiting for streams`;
    this.#log(`port-forward: ${message}`);
    if (pair.error) pair.error.end(message);
    pair.data?.reset();
  }

  #report(errorStream: SpdyStream | undefined, message: string): void {
    this.#log(`port-forward: ${message}`);
    if (errorStream?.writable) errorStream.write(message);
  }

  #message(port: number, problem: unknown): string {
    if (problem instanceof RemotePortForwardError) return problem.message;
    const detail = problem instanceof Error ? problem.message : String(problem);
    return `error forwarding port ${port} to pod ${this.#target.podName ?? ''}, uid ${this.#target.podUID ?? ''}: ${detail}`;
  }

  async #forward(data: SpdyStream, error: SpdyStream, port: number): Promise<void> {
    const signal = this.#stop.signal;
    let conn: Duplex;
    try {
      conn = await this.#target.dial(port, signal);
    } catch (problem) {
      if (!signal.aborted) this.#report(error, this.#message(port, problem));
      error.end();
      data.end();
      return;
    }
    if (signal.aborted || data.destroyed) {
      conn.destroy();
      error.end();
      return;
    }
    this.#connections.add(conn);
    // Both directions half-close on their own: kubectl's FIN ends the pod connection's writing side, the pod's EOF
    // sends FIN to kubectl.
    data.pipe(conn);
    conn.pipe(data);
    let reported = false;
    conn.on('error', (problem: Error) => {
      if (!reported) this.#report(error, this.#message(port, problem));
      reported = true;
      data.end();
    });
    conn.once('close', () => {
      this.#connections.delete(conn);
      error.end();
      data.end();
    });
    // kubectl resets the data stream once it has read our FIN, or when it gives up: the pod connection goes too,
    // unless both sides had finished cleanly and it is only flushing.
    data.once('close', () => {
      if (!(data.readableEnded && data.writableFinished)) conn.destroy();
    });
  }
}
