// httpGet probes and hooks, as upstream's pkg/probe/http: a GET with `kube-probe/1.35` (or `kube-lifecycle/1.35`),
// no keep-alive, no certificate checks, redirects followed only while they stay on the same host (one to another host
// ends the chain and its 3xx is the answer), at most 10 KiB of body read. Messages are worded as Go's client words them.
import http from 'node:http';
import https from 'node:https';
import type { Container, HTTPGetAction } from 'kubernetes-types/core/v1.d.ts';
import { deadline, defaultHost, errnoText, joinHostPort, KUBE_MINOR_VERSION, MAX_OUTPUT_BYTES, type ProbeResult, type ProbeTarget, resolveContainerPort } from './common.ts';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export interface HttpGetRequest {
  url: URL;
  /** The URL as upstream prints it (the port always shown). */
  display: string;
  /** Canonical header names (Go's textproto form) to their values, in order. */
  headers: Record<string, string[]>;
}

export type HttpGetOutcome =
  | { kind: 'response'; status: number; body: Buffer }
  /** `phase` body: the headers arrived but reading the body failed (upstream reports that as an error, not a failure). */
  | { kind: 'error'; message: string; phase: 'request' | 'body'; cancelled: boolean; httpToHttps: boolean };

/** Go's CanonicalMIMEHeaderKey: `x-custom-header` → `X-Custom-Header`. */
export function canonicalHeaderName(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** The request of an HTTPGetAction: scheme, host (default `host`), resolved port, path, headers with the defaults. */
export function buildHttpGetRequest(action: HTTPGetAction, container: Container | undefined, host: string, purpose: 'probe' | 'lifecycle'): HttpGetRequest {
  const scheme = (action.scheme || 'HTTP').toLowerCase();
  const port = resolveContainerPort(action.port, container);
  let path = action.path ?? '';
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  const display = `${scheme}://${joinHostPort(host, port)}${path}`;
  const url = new URL(display);
  const headers: Record<string, string[]> = {};
  for (const h of action.httpHeaders ?? []) (headers[canonicalHeaderName(h.name)] ??= []).push(h.value);
  if (!headers['User-Agent']) headers['User-Agent'] = [`kube-${purpose}/${KUBE_MINOR_VERSION}`];
  if (!headers['Accept']) headers['Accept'] = ['*/*'];
  else if (headers['Accept'][0] === '') delete headers['Accept'];
  return { url, display, headers };
}

/** Body of an error as Go's url.Error prints it. */
function requestErrorText(err: unknown): { text: string; httpToHttps: boolean } {
  const e = err as { code?: unknown; message?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (e.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) {
    return { text: 'http: server gave HTTP response to HTTPS client', httpToHttps: true };
  }
  if (message === 'socket hang up') return { text: 'EOF', httpToHttps: false };
  const known = errnoText(err);
  if (known && e.syscall === 'connect' && typeof e.address === 'string' && typeof e.port === 'number') {
    return { text: `dial tcp ${joinHostPort(e.address, e.port)}: ${known}`, httpToHttps: false };
  }
  return { text: known ?? message, httpToHttps: false };
}

interface Hop {
  status: number;
  location: string | undefined;
  body: Buffer;
}

class BodyError extends Error {
  override name = 'BodyError';
}

function requestOnce(url: URL, headers: Record<string, string[]>, hostHeader: string | undefined, bodyLimit: number, signal: AbortSignal): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    const outgoing: Record<string, string | string[]> = { ...headers };
    delete outgoing['Host'];
    if (hostHeader) outgoing['Host'] = hostHeader;
    const options: https.RequestOptions = {
      method: 'GET',
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: outgoing,
      agent: false,
      signal,
    };
    const onResponse = (res: http.IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        res.destroy();
        resolve({ status, location, body: Buffer.concat(chunks).subarray(0, bodyLimit) });
      };
      if (bodyLimit === 0) return finish();
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= bodyLimit) finish();
      });
      res.on('end', finish);
      res.on('error', (err) => {
        if (!done) reject(new BodyError(err.message, { cause: err }));
      });
      res.on('aborted', () => {
        if (!done) reject(new BodyError('unexpected EOF'));
      });
    };
    const req = url.protocol === 'https:' ? https.request({ ...options, rejectUnauthorized: false }, onResponse) : http.request(options, onResponse);
    req.on('error', reject);
    req.end();
  });
}

/**
 * GETs `request`, following same-host redirects. `timeoutMs` bounds the whole exchange (Go's Client.Timeout);
 * `bodyLimit` bytes of the final body are kept.
 */
export async function httpGet(request: HttpGetRequest, opts: { timeoutMs?: number; signal?: AbortSignal; bodyLimit?: number } = {}): Promise<HttpGetOutcome> {
  const d = deadline(opts.timeoutMs, opts.signal);
  const bodyLimit = opts.bodyLimit ?? MAX_OUTPUT_BYTES;
  const originalHost = request.url.hostname;
  let url = request.url;
  let display = request.display;
  let hostHeader = request.headers['Host']?.[0];
  try {
    for (let redirects = 0; ; ) {
      let hop: Hop;
      try {
        hop = await requestOnce(url, request.headers, hostHeader, bodyLimit, d.signal);
      } catch (err) {
        const phase = err instanceof BodyError ? 'body' : 'request';
        if (d.timedOut()) {
          const why = phase === 'body' ? 'Client.Timeout or context cancellation while reading body' : 'Client.Timeout exceeded while awaiting headers';
          return { kind: 'error', phase, message: `Get "${display}": context deadline exceeded (${why})`, cancelled: false, httpToHttps: false };
        }
        if (d.signal.aborted) return { kind: 'error', phase, message: `Get "${display}": context canceled`, cancelled: true, httpToHttps: false };
        const { text, httpToHttps } = requestErrorText(err);
        return { kind: 'error', phase, message: phase === 'body' ? text : `Get "${display}": ${text}`, cancelled: false, httpToHttps };
      }
      if (!REDIRECT_STATUSES.has(hop.status) || hop.location === undefined) return { kind: 'response', status: hop.status, body: hop.body };
      let next: URL;
      try {
        next = new URL(hop.location, url);
      } catch {
        return { kind: 'error', phase: 'request', message: `Get "${display}": failed to parse Location header ${JSON.stringify(hop.location)}`, cancelled: false, httpToHttps: false };
      }
      // Another host: the 3xx itself is the answer (upstream's followNonLocalRedirects=false).
      if (next.hostname !== originalHost) return { kind: 'response', status: hop.status, body: hop.body };
      redirects++;
      if (redirects >= MAX_REDIRECTS) {
        return { kind: 'error', phase: 'request', message: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects`, cancelled: false, httpToHttps: false };
      }
      // A custom Host header survives only relative redirects, as in Go's client.
      if (/^[a-z][a-z0-9+.-]*:/i.test(hop.location)) hostHeader = undefined;
      url = next;
      display = next.href;
    }
  } finally {
    d.dispose();
  }
}

/** An httpGet probe: 200–399 is success (3xx with a warning: a redirect was not followed), anything else a failure. */
export async function httpGetProbe(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  let request: HttpGetRequest;
  try {
    request = buildHttpGetRequest(action, target.container, action.host || defaultHost(target), 'probe');
  } catch (err) {
    return { result: 'unknown', message: (err as Error).message };
  }
  const out = await httpGet(request, { timeoutMs, ...(signal ? { signal } : {}) });
  if (out.kind === 'error') return { result: out.phase === 'body' || out.cancelled ? 'unknown' : 'failure', message: out.message };
  const body = out.body.toString('utf8');
  if (out.status >= 200 && out.status < 300) return { result: 'success', message: body };
  if (out.status >= 300 && out.status < 400) return { result: 'success', message: `Probe terminated redirects, Response body: ${body}`, warning: true };
  return { result: 'failure', message: `HTTP probe failed with statuscode: ${out.status}` };
}
