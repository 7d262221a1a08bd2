// The seam between the Client and the wire: HTTPS (HTTP/2) today, in-process later.
import http2 from 'node:http2';
import { ApiError, apiErrorFrom, TransportError } from './errors.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface TransportRequest {
  method: string;
  /** An absolute API path, e.g. /api/v1/namespaces/default/configmaps. */
  path: string;
  query?: Query;
  /** Strings and Buffers go as they are; anything else as JSON. */
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Parsed JSON, or the text when the answer was not JSON. */
  body: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  object: T;
}

/**
 * Both calls reject/throw ApiError when the server refuses (non-2xx) and TransportError when the wire fails.
 * A watch iterable ends when the server ends the stream or `signal` aborts.
 */
export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  watch(path: string, query: Query, signal: AbortSignal): AsyncIterable<WatchEvent>;
  close(): Promise<void>;
}

export interface HttpsTransportOptions {
  /** https://host:port */
  server: string;
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  /** Per-request limit for non-watch requests; default 60 s. */
  requestTimeoutMs?: number;
}

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(JSON.stringify(body));
}

function decodeBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One HTTP/2 session to the API server, opened on first use and again whenever it closes or is told to go away. */
class HttpsTransport implements Transport {
  #session: http2.ClientHttp2Session | undefined;
  #closed = false;
  readonly #timeoutMs: number;

  constructor(readonly options: HttpsTransportOptions) {
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  #connect(): http2.ClientHttp2Session {
    if (this.#closed) throw new TransportError('transport closed');
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const { server, ca, cert, key } = this.options;
    const session = http2.connect(server, { ca, cert, key });
    const forget = () => {
      if (this.#session === session) this.#session = undefined;
    };
    // Errors reach the streams opened on the session; the session itself is simply replaced.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    this.#session = session;
    return session;
  }

  #open(method: string, path: string, contentType: string | undefined, signal: AbortSignal | undefined, hasBody: boolean): http2.ClientHttp2Stream {
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': path, accept: 'application/json' };
    if (contentType) headers['content-type'] = contentType;
    const session = this.#connect();
    try {
      // Node ends GET/DELETE streams at once unless told otherwise; a DELETE may carry DeleteOptions.
      return session.request(headers, signal ? { signal, endStream: !hasBody } : { endStream: !hasBody });
    } catch (err) {
      session.destroy();
      throw new TransportError(`${method} ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    const path = req.path + queryString(req.query);
    const body = encodeBody(req.body);
    const what = `${req.method} ${path}`;
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.#open(req.method, path, body ? req.contentType ?? 'application/json' : undefined, req.signal, body !== undefined);
      } catch (err) {
        reject(err instanceof TransportError ? err : new TransportError(what, { cause: err }));
        return;
      }
      let status = 0;
      const chunks: Buffer[] = [];
      let timedOut = false;
      stream.setTimeout(this.#timeoutMs, () => {
        timedOut = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      stream.on('response', (headers) => (status = Number(headers[':status'] ?? 0)));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => reject(req.signal?.aborted ? req.signal.reason : new TransportError(`${what}: ${err.message}`, { cause: err })));
      stream.on('close', () => {
        if (req.signal?.aborted) return reject(req.signal.reason);
        if (timedOut) return reject(new TransportError(`${what}: no complete answer within ${this.#timeoutMs} ms`));
        if (!status || stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
          return reject(new TransportError(`${what}: the stream closed without a complete answer (code ${stream.rstCode})`));
        }
        const decoded = decodeBody(Buffer.concat(chunks).toString('utf8'));
        if (status >= 200 && status < 300) resolve({ status, body: decoded });
        else reject(apiErrorFrom(status, decoded));
      });
      if (body !== undefined) stream.end(body);
    });
  }

  async *watch(path: string, query: Query, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const fullPath = path + queryString({ ...query, watch: 'true' });
    const stream = this.#open('GET', fullPath, undefined, signal, false);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        stream.once('response', (headers) => resolve(Number(headers[':status'] ?? 0)));
        stream.once('error', reject);
        stream.once('close', () => reject(new TransportError(`watch ${fullPath}: the stream closed without an answer`)));
      });
      stream.setEncoding('utf8');
      if (status < 200 || status >= 300) {
        let text = '';
        for await (const chunk of stream) text += chunk as string;
        throw apiErrorFrom(status, decodeBody(text));
      }
      let partial = '';
      for await (const chunk of stream) {
        partial += chunk as string;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) yield parseEvent(line, fullPath);
      }
      if (partial.trim()) yield parseEvent(partial, fullPath);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof TransportError || err instanceof ApiError) throw err;
      throw new TransportError(`watch ${fullPath}: ${(err as Error).message}`, { cause: err });
    } finally {
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    if (!session || session.closed) return;
    await new Promise<void>((resolve) => {
      session.close(() => resolve());
      // Open watches would hold a graceful close forever.
      setTimeout(() => session.destroy(), 1_000).unref();
    });
  }
}

function parseEvent(line: string, path: string): WatchEvent {
  try {
    return JSON.parse(line) as WatchEvent;
  } catch (err) {
    throw new TransportError(`watch ${path}: a line that is not a JSON event: ${line.slice(0, 200)}`, { cause: err });
  }
}

/** A Transport speaking HTTP/2 over TLS with a client certificate (what a kubeconfig gives). */
export function httpsTransport(options: HttpsTransportOptions): Transport {
  return new HttpsTransport(options);
}
