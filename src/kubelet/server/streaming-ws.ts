// A session on containerd's CRI streaming server over WebSocket `v4.channel.k8s.io` (containerd 1.6 speaks no v5):
// the same channels as toward the client, but stdin cannot be closed on its own.
import WebSocket from 'ws';
import { PROTOCOL_V4, type BackendFrameListener, type RemoteCommandBackend } from './remotecommand.ts';

export class StreamingDialError extends Error {
  override name = 'StreamingDialError';
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

class WebSocketBackend implements RemoteCommandBackend {
  readonly canCloseStdin = false;
  readonly #ws: WebSocket;
  #onFrame: BackendFrameListener | undefined;
  #onEnd: ((err?: Error) => void) | undefined;
  #buffered: Array<[number, Buffer]> = [];
  #ended: { err?: Error } | undefined;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (raw: Buffer) => {
      if (raw.length === 0) return;
      const frame: [number, Buffer] = [raw[0]!, raw.subarray(1)];
      if (this.#onFrame) this.#onFrame(...frame);
      else this.#buffered.push(frame);
    });
    const end = (err?: Error) => {
      if (this.#ended) return;
      this.#ended = err ? { err } : {};
      this.#onEnd?.(err);
    };
    ws.on('close', () => end());
    ws.on('error', (err: Error) => end(err));
  }

  listen(onFrame: BackendFrameListener, onEnd: (err?: Error) => void): void {
    this.#onFrame = onFrame;
    this.#onEnd = onEnd;
    for (const frame of this.#buffered.splice(0)) onFrame(...frame);
    if (this.#ended) onEnd(this.#ended.err);
  }

  #send(channel: number, data: Buffer): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true });
  }

  stdin(data: Buffer): void {
    this.#send(0, data);
  }

  closeStdin(): void {
    // v4 has no way to say so; closing the socket would lose the output still to come and the exit status.
  }

  resize(json: Buffer): void {
    this.#send(4, json);
  }

  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  close(): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(1000);
  }
}

/** Opens an exec/attach URL from the runtime (CRI Exec or Attach) as a v4 channel WebSocket. */
export function dialWebSocketBackend(url: string, signal?: AbortSignal): Promise<RemoteCommandBackend> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [PROTOCOL_V4], { perMessageDeflate: false });
    let settled = false;
    const onAbort = () => ws.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    const fail = (err: StreamingDialError) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const onError = (err: Error) => fail(new StreamingDialError(`cannot reach the runtime's streaming server: ${err.message}`, undefined, { cause: err }));
    ws.on('error', onError);
    ws.once('open', () => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      ws.off('error', onError);
      resolve(new WebSocketBackend(ws));
    });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 4096) body += c;
      });
      const done = () => {
        fail(new StreamingDialError(`the runtime's streaming server answered ${res.statusCode}: ${body.trim()}`, res.statusCode));
        req.destroy();
      };
      res.on('end', done);
      res.on('error', done);
    });
  });
}
