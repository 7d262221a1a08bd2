// HTTP plumbing shared by the handlers: body reading with the size limit, JSON/YAML responses, Status errors.
import type { IncomingHttpHeaders } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { MAX_BODY_BYTES } from './codec.ts';
import { StatusError, errors } from './status.ts';

/** The parts of Node's request (HTTP/1.1 or HTTP/2 compat) the handlers use. */
export interface Req extends AsyncIterable<Buffer | string> {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
  socket: unknown;
}

/** The parts of Node's response the handlers use. */
export interface Res {
  statusCode: number;
  headersSent: boolean;
  writableEnded: boolean;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  writeHead(code: number, headers?: Record<string, string | number | string[]>): unknown;
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): unknown;
  flushHeaders?(): void;
  on(event: 'close', listener: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

export async function readBody(req: Req, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw errors.tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > limit) throw errors.tooLarge();
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

const COMMON_HEADERS = { 'Cache-Control': 'no-cache, private' };

export function sendJson(res: Res, code: number, body: unknown, format: 'json' | 'yaml' = 'json', extraHeaders: Record<string, string | string[]> = {}): void {
  sendRaw(res, code, format === 'yaml' ? toYaml(body) : JSON.stringify(body), format === 'yaml' ? 'application/yaml' : 'application/json', extraHeaders);
}

export function sendRaw(res: Res, code: number, text: string, contentType: string, extraHeaders: Record<string, string | string[]> = {}): void {
  sendBuffer(res, code, Buffer.from(text), contentType, extraHeaders);
}

export function sendBuffer(res: Res, code: number, buf: Buffer, contentType: string, extraHeaders: Record<string, string | string[]> = {}): void {
  res.writeHead(code, { ...COMMON_HEADERS, 'Content-Type': contentType, 'Content-Length': buf.length, ...extraHeaders });
  res.end(buf);
}

export function sendError(res: Res, err: unknown): void {
  const e = err instanceof StatusError ? err : errors.internal(err instanceof Error ? err.message : String(err), err);
  if (res.headersSent) {
    res.end();
    return;
  }
  const extra: Record<string, string> = {};
  if (e.details?.retryAfterSeconds) extra['Retry-After'] = String(e.details.retryAfterSeconds);
  sendJson(res, e.code, e.toStatus(), 'json', extra);
}

/** Waits for the response to drain (backpressure on slow watch clients). */
export function drained(res: Res): Promise<void> {
  return new Promise((resolve) => res.once('drain', resolve));
}
