// A minimal HTTP/2 client for the benchmarks: one TLS session with the admin client certificate, many streams.
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';

export interface TlsIdentity {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface H2Response {
  status: number;
  body: Buffer;
  /** From sending the request to its response headers. */
  headersMs: number;
}

export class H2RequestError extends Error {
  override name = 'H2RequestError';
}

/** An HTTP error answer, kept whole so a report can show the request and the response. */
export class H2StatusError extends Error {
  override name = 'H2StatusError';
  constructor(
    readonly request: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${request} → ${status} ${body.slice(0, 400)}`);
  }
}

// Like Go's HTTP/2 transport (client-go): large receive windows, so big LIST bodies are not throttled by flow control.
const STREAM_WINDOW = 4 << 20;
const SESSION_WINDOW = 64 << 20;

export class H2Session {
  private constructor(
    private readonly session: http2.ClientHttp2Session,
    private readonly timeoutMs: number,
  ) {}

  static connect(identity: TlsIdentity, options: { timeoutMs?: number } = {}): Promise<H2Session> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(identity.server, {
        ca: identity.ca,
        cert: identity.cert,
        key: identity.key,
        settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
      });
      const onError = (err: Error) => reject(new H2RequestError(`cannot connect to ${identity.server}: ${err.message}`, { cause: err }));
      session.once('error', onError);
      session.once('connect', () => {
        session.off('error', onError);
        session.on('error', () => {}); // failures surface on the streams
        session.setLocalWindowSize(SESSION_WINDOW);
        resolve(new H2Session(session, options.timeoutMs ?? 30_000));
      });
    });
  }

  request(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<H2Response> {
    return new Promise((resolve, reject) => {
      const requestHeaders: http2.OutgoingHttpHeaders = { ':method': method, ':path': path, accept: 'application/json', ...headers };
      if (body) {
        requestHeaders['content-type'] ??= 'application/json';
        requestHeaders['content-length'] = body.length;
      }
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.session.request(requestHeaders, { endStream: !body });
      } catch (err) {
        reject(new H2RequestError(`${method} ${path}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      let status = 0;
      let headersMs = 0;
      const start = performance.now();
      const chunks: Buffer[] = [];
      stream.setTimeout(this.timeoutMs, () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new H2RequestError(`${method} ${path}: no complete answer within ${this.timeoutMs} ms`));
      });
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headersMs = performance.now() - start;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => reject(new H2RequestError(`${method} ${path}: ${err.message}`, { cause: err })));
      stream.on('end', () => resolve({ status, headersMs, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
      if (body) stream.end(body);
    });
  }

  /**
   * Opens a streaming GET (a watch) and calls onLine for each newline-terminated line. `opened` resolves with the
   * status once the response headers arrive; close() cancels the stream.
   */
  stream(path: string, onLine: (line: string) => void): { opened: Promise<number>; close(): void } {
    const stream = this.session.request({ ':method': 'GET', ':path': path, accept: 'application/json' }, { endStream: true });
    let partial = '';
    const opened = new Promise<number>((resolve, reject) => {
      stream.once('response', (h) => resolve(Number(h[':status'])));
      stream.once('error', (err) => reject(new H2RequestError(`watch ${path}: ${err.message}`, { cause: err })));
    });
    opened.catch(() => {}); // observed by the caller; avoid an unhandled rejection if it is not
    stream.on('error', () => {});
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      let nl = partial.indexOf('\n');
      while (nl >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line) onLine(line);
        nl = partial.indexOf('\n');
      }
    });
    return {
      opened,
      close: () => {
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.session.closed || this.session.destroyed) return resolve();
      const timer = setTimeout(() => {
        this.session.destroy();
        resolve();
      }, 2000);
      this.session.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Sends a request and returns its body when the status is the expected one; otherwise throws H2StatusError. */
export async function expectStatus(session: H2Session, expected: number, method: string, path: string, body?: Buffer): Promise<H2Response> {
  const response = await session.request(method, path, body);
  if (response.status !== expected) throw new H2StatusError(`${method} ${path}`, response.status, response.body.toString('utf8'));
  return response;
}
