// A session on the runtime's CRI streaming server over SPDY/3.1 with `v4.channel.k8s.io`, as client-go's SPDY
// executor speaks it: one stream per channel (error, stdin, stdout, stderr, resize; header `streamtype`). Unlike
// containerd's WebSocket endpoint it can end stdin alone (FIN on the stdin stream), so `exec -i … < file` ends.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { BackendFrameListener, RemoteCommandBackend } from './remotecommand.ts';
import { PROTOCOL_V4 } from './remotecommand.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { StreamingDialError } from './streaming-ws.ts';

export interface SpdyStreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * POST with Upgrade: SPDY/3.1 offering `protocol` (exec and attach: v4.channel.k8s.io; port-forward:
 * portforward.k8s.io, which servers may leave unconfirmed); the socket once the server switched protocols.
 */
export function upgradeToSpdy(url: string, signal?: AbortSignal, protocol = PROTOCOL_V4, what = 'the upgrade'): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol, 'Content-Length': '0' },
      ...(signal && { signal }),
    });
    request.on('upgrade', (response, socket, head) => {
      const chosen = response.headers['x-stream-protocol-version'];
      if (chosen !== protocol && !(chosen === undefined && protocol !== PROTOCOL_V4)) {
        socket.destroy();
        reject(new StreamingDialError(`the runtime's streaming server chose protocol ${JSON.stringify(chosen ?? '')}, not ${protocol}`));
        return;
      }
      socket.setNoDelay(true);
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      response.on('end', () => reject(new StreamingDialError(`the runtime's streaming server answered ${what} with ${response.statusCode}: ${body.trim()}`, response.statusCode)));
      response.on('error', reject);
    });
    request.on('error', (err) => reject(signal?.aborted ? signal.reason : new StreamingDialError(`cannot reach the runtime's streaming server: ${err.message}`, undefined, { cause: err })));
    request.end();
  });
}

const ended = (stream: SpdyStream | undefined): Promise<void> =>
  stream === undefined || stream.readableEnded || stream.destroyed ? Promise.resolve() : new Promise((resolve) => (stream.once('end', resolve), stream.once('close', resolve)));

class SpdyBackend implements RemoteCommandBackend {
  readonly canCloseStdin = true;
  readonly #session: SpdySession;
  readonly #stdin: SpdyStream | undefined;
  readonly #stdout: SpdyStream | undefined;
  readonly #stderr: SpdyStream | undefined;
  readonly #error: SpdyStream;
  readonly #resize: SpdyStream | undefined;

  constructor(session: SpdySession, streams: { error: SpdyStream; stdin?: SpdyStream; stdout?: SpdyStream; stderr?: SpdyStream; resize?: SpdyStream }) {
    this.#session = session;
    this.#error = streams.error;
    this.#stdin = streams.stdin;
    this.#stdout = streams.stdout;
    this.#stderr = streams.stderr;
    this.#resize = streams.resize;
    for (const s of [this.#error, this.#stdin, this.#stdout, this.#stderr, this.#resize]) s?.on('error', () => undefined);
  }

  listen(onFrame: BackendFrameListener, onEnd: (err?: Error) => void): void {
    this.#stdout?.on('data', (chunk: Buffer) => onFrame(1, chunk));
    this.#stderr?.on('data', (chunk: Buffer) => onFrame(2, chunk));
    const status: Buffer[] = [];
    this.#error.on('data', (chunk: Buffer) => status.push(chunk));
    // The status goes out after all output: the server closes the output streams only after writing it.
    const finish = async (err?: Error) => {
      await Promise.all([ended(this.#stdout), ended(this.#stderr), ended(this.#error)]);
      if (status.length) onFrame(3, Buffer.concat(status));
      onEnd(err);
    };
    let done = false;
    const once = (err?: Error) => {
      if (done) return;
      done = true;
      void finish(err);
    };
    void this.#session.closed.then((err) => once(err));
    // Some servers end every stream but leave the connection open a while.
    void Promise.all([ended(this.#stdout), ended(this.#stderr), ended(this.#error)]).then(() => {
      if (this.#error.readableEnded) once();
    });
  }

  stdin(data: Buffer): void {
    if (this.#stdin && !this.#stdin.writableEnded) this.#stdin.write(data);
  }

  closeStdin(): void {
    if (this.#stdin && !this.#stdin.writableEnded) this.#stdin.end();
  }

  resize(json: Buffer): void {
    if (this.#resize && !this.#resize.writableEnded) this.#resize.write(json);
  }

  pause(): void {
    this.#stdout?.pause();
    this.#stderr?.pause();
  }

  resume(): void {
    this.#stdout?.resume();
    this.#stderr?.resume();
  }

  close(): void {
    this.#session.destroy();
  }
}

/** Opens an exec/attach URL from the runtime over SPDY, creating the streams the request's options call for. */
export async function dialSpdyBackend(url: string, options: SpdyStreamOptions, signal?: AbortSignal): Promise<RemoteCommandBackend> {
  const socket = await upgradeToSpdy(url, signal);
  const session = new SpdySession(socket, { role: 'client' });
  // client-go's order: error, stdin, stdout, stderr (none with a terminal), resize (only with one).
  const error = session.openStream({ streamtype: 'error' });
  const stdin = options.stdin ? session.openStream({ streamtype: 'stdin' }) : undefined;
  const stdout = options.stdout ? session.openStream({ streamtype: 'stdout' }) : undefined;
  const stderr = options.stderr && !options.tty ? session.openStream({ streamtype: 'stderr' }) : undefined;
  const resize = options.tty ? session.openStream({ streamtype: 'resize' }) : undefined;
  const onAbort = () => session.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all([error, stdin, stdout, stderr, resize].map((s) => s?.replied));
  } catch (err) {
    session.destroy();
    if (signal?.aborted) throw signal.reason;
    throw new StreamingDialError(`the runtime's streaming server did not accept the exec streams`, undefined, { cause: err });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return new SpdyBackend(session, { error, ...(stdin && { stdin }), ...(stdout && { stdout }), ...(stderr && { stderr }), ...(resize && { resize }) });
}
