// The client side of exec and attach (client-go's remotecommand): the channel protocol over a WebSocket
// (`v5.channel.k8s.io`, or v4), or over SPDY streams when the WebSocket upgrade was refused. Channels: 0 stdin,
// 1 stdout, 2 stderr, 3 error (a metav1.Status once the process ends), 4 terminal size; in v5 a message on 255 closes
// the channel its payload names (stdin at its end of file). The session ends when the server closes the connection.
import type { Readable, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';
/** What the WebSocket offers: kubectl 1.35's v5, then v4 for servers that stop there. */
export const WEBSOCKET_PROTOCOLS = [PROTOCOL_V5, PROTOCOL_V4] as const;
/** What kubectl's SPDY executor offers in X-Stream-Protocol-Version. */
export const SPDY_PROTOCOLS = [PROTOCOL_V5, PROTOCOL_V4, 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;

export interface TerminalSize {
  width: number;
  height: number;
}

/** Terminal sizes to send: each call of the listener sends one; returns a function that stops listening. */
export type SizeSource = (send: (size: TerminalSize) => void) => () => void;

export interface RemoteCommandStreams {
  /** Absent: no stdin stream. */
  stdin?: Readable | undefined;
  stdout?: Writable | undefined;
  /** Ignored with a TTY (the terminal carries both). */
  stderr?: Writable | undefined;
  tty: boolean;
  sizes?: SizeSource | undefined;
}

/** The remote process exited non-zero; kubectl prints the message and exits with the code. */
export class ExitCodeError extends Error {
  override name = 'ExitCodeError';
  constructor(readonly code: number) {
    super(`command terminated with exit code ${code}`);
  }
}

/** Any other failure the error channel or the connection reports; kubectl prints `error: <message>`. */
export class RemoteCommandError extends Error {
  override name = 'RemoteCommandError';
}

/** One message on a channel. */
export function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), payload]);
}

/** The resize message: Go's json.Encoder of remotecommand.TerminalSize, newline included. */
export function resizeMessage(size: TerminalSize): string {
  return `${JSON.stringify({ Width: size.width, Height: size.height })}\n`;
}

interface StatusLike {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/** What the error channel said (client-go's errorDecoderV4): undefined for success. */
export function decodeErrorChannel(message: Buffer): Error | undefined {
  if (message.length === 0) return undefined;
  let status: StatusLike;
  try {
    status = JSON.parse(message.toString('utf8')) as StatusLike;
  } catch (err) {
    return new RemoteCommandError(`error stream protocol error: ${(err as Error).message} in ${JSON.stringify(message.toString('utf8'))}`);
  }
  if (status.status === 'Success') return undefined;
  if (status.status !== 'Failure') return new RemoteCommandError('error stream protocol error: unknown error');
  if (status.reason === 'NonZeroExitCode') {
    if (!status.details) return new RemoteCommandError('error stream protocol error: details must be set');
    const cause = (status.details.causes ?? []).find((c) => c.reason === 'ExitCode');
    if (!cause) return new RemoteCommandError('error stream protocol error: no ExitCode cause given');
    const text = cause.message ?? '';
    if (!/^\d+$/.test(text) || Number(text) > 255) return new RemoteCommandError(`error stream protocol error: invalid exit code value ${JSON.stringify(text)}`);
    return new ExitCodeError(Number(text));
  }
  return new RemoteCommandError(status.message ?? '');
}

const CLOSE_NAMES: Record<number, string> = {
  1000: 'normal',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status',
  1006: 'abnormal closure',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal server error',
  1015: 'TLS handshake',
};

/** gorilla/websocket's wording of a close other than a normal one. */
export function closeErrorText(code: number, reason: string): string {
  const text = code === 1006 && !reason ? 'unexpected EOF' : reason;
  return `websocket: close ${code} (${CLOSE_NAMES[code] ?? ''})${text ? `: ${text}` : ''}`;
}

/** Writes to `out`, pausing `source` until it drains. */
function writeWithBackpressure(out: Writable, data: Buffer, pause: () => void, resume: () => void): void {
  if (!out.write(data)) {
    pause();
    out.once('drain', resume);
  }
}

/** Runs one exec/attach session on an open WebSocket; resolves on success, rejects with ExitCodeError or RemoteCommandError. */
export function streamWebSocket(ws: WebSocket, streams: RemoteCommandStreams): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const errorChunks: Buffer[] = [];
    /** Why the connection ended abnormally, when known before it closed. */
    let failure: string | undefined;
    const stderr = streams.tty ? undefined : streams.stderr;
    let stopSizes: (() => void) | undefined;
    const pinger = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.ping();
    }, 5000);
    pinger.unref();
    const send = (channel: number, data: Buffer | string, done?: () => void) => {
      if (ws.readyState !== ws.OPEN) return void done?.();
      ws.send(frame(channel, data), { binary: true }, () => done?.());
    };

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        failure ??= 'unexpected message type: 1';
        ws.terminate();
        return;
      }
      if (data.length === 0) return;
      const payload = data.subarray(1);
      switch (data[0]) {
        case CHANNEL.stdout:
          if (streams.stdout) writeWithBackpressure(streams.stdout, payload, () => ws.pause(), () => ws.resume());
          break;
        case CHANNEL.stderr:
          if (stderr) writeWithBackpressure(stderr, payload, () => ws.pause(), () => ws.resume());
          break;
        case CHANNEL.error:
          errorChunks.push(payload);
          break;
        default:
        // Unknown channels are discarded, as client-go does.
      }
    });

    ws.on('error', (err: Error) => (failure ??= `next reader: ${err.message}`));
    ws.on('close', (code: number, reason: Buffer) => {
      clearInterval(pinger);
      stopSizes?.();
      streams.stdin?.pause();
      if (code !== 1000 || failure) {
        const why = failure ?? `next reader: ${closeErrorText(code, reason.toString('utf8'))}`;
        reject(new RemoteCommandError(`error reading from error stream: ${why}`));
        return;
      }
      const err = decodeErrorChannel(Buffer.concat(errorChunks));
      if (err) reject(err);
      else resolve();
    });

    if (streams.tty && streams.sizes) stopSizes = streams.sizes((size) => send(CHANNEL.resize, resizeMessage(size)));
    const stdin = streams.stdin;
    if (stdin) {
      stdin.on('data', (chunk: Buffer | string) => {
        stdin.pause();
        send(CHANNEL.stdin, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, () => stdin.resume());
      });
      // v5 closes stdin with a message; v4 has no way to say it (client-go sends it all the same).
      stdin.once('end', () => send(CHANNEL.close, Buffer.from([CHANNEL.stdin])));
      stdin.on('error', () => send(CHANNEL.close, Buffer.from([CHANNEL.stdin])));
      stdin.resume();
    }
  });
}

/** The same session over SPDY streams (kubectl's fallback when the WebSocket upgrade is refused). */
export async function streamSpdy(socket: Socket, head: Buffer, streams: RemoteCommandStreams): Promise<void> {
  const { SpdySession } = await import('../../kubelet/server/spdy.ts');
  if (head.length) socket.unshift(head);
  const session = new SpdySession(socket, { role: 'client' });
  try {
    const open = (type: string) => session.openStream({ streamtype: type });
    const errorStream = open('error');
    errorStream.end();
    const stdinStream = streams.stdin ? open('stdin') : undefined;
    const stdoutStream = streams.stdout ? open('stdout') : undefined;
    const stderrStream = streams.stderr && !streams.tty ? open('stderr') : undefined;
    const resizeStream = streams.tty ? open('resize') : undefined;
    const opened = [errorStream, stdinStream, stdoutStream, stderrStream, resizeStream].filter((s) => s !== undefined);
    await Promise.all(opened.map((s) => s.replied));

    const errorText = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      errorStream.on('data', (c: Buffer) => chunks.push(c));
      errorStream.on('end', () => resolve(Buffer.concat(chunks)));
      errorStream.on('close', () => resolve(Buffer.concat(chunks)));
    });
    const copied = (from: Readable | undefined, to: Writable | undefined) =>
      new Promise<void>((resolve) => {
        if (!from) return resolve();
        from.on('data', (c: Buffer) => {
          if (to) writeWithBackpressure(to, c, () => from.pause(), () => from.resume());
        });
        from.on('end', resolve);
        from.on('close', resolve);
        from.on('error', () => resolve());
      });
    let stopSizes: (() => void) | undefined;
    if (resizeStream && streams.sizes) stopSizes = streams.sizes((size) => resizeStream.write(resizeMessage(size)));
    if (stdinStream && streams.stdin) {
      stdinStream.on('error', () => undefined);
      streams.stdin.pipe(stdinStream);
    }
    await Promise.all([copied(stdoutStream, streams.stdout), copied(stderrStream, streams.stderr)]);
    const err = decodeErrorChannel(await errorText);
    stopSizes?.();
    streams.stdin?.unpipe();
    streams.stdin?.pause();
    if (err) throw err;
  } finally {
    session.close();
    socket.destroy();
  }
}
