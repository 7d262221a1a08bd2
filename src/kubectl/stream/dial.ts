// Upgraded connections to the API server for exec, attach and port-forward, made as kubectl 1.35 makes them: a
// WebSocket (GET) first; when that upgrade fails, a SPDY/3.1 upgrade (POST), whose answer is what kubectl reports.
// The kubeconfig's TLS material and bearer token go with both. `ws` and node:https load only here.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { ApiError, type Status } from '../../client/errors.ts';
import type { ClientConfig } from '../kubeconfig.ts';
import { KUBECTL_VERSION } from '../rest.ts';

/** The server did not switch protocols (client-go's httpstream.UpgradeFailureError): kubectl then tries SPDY. */
export class UpgradeFailureError extends Error {
  override name = 'UpgradeFailureError';
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The SPDY upgrade was refused too; the message is kubectl's (`unable to upgrade connection: …`) or a Status. */
export class SpdyUpgradeError extends Error {
  override name = 'SpdyUpgradeError';
}

export type Query = Array<[string, string]>;

export interface StreamTarget {
  config: ClientConfig;
  /** `/api/v1/namespaces/ns/pods/name/exec`. */
  path: string;
  /** In kubectl's order (url.Values.Encode sorts by key). */
  query: Query;
  /** For the Kubectl-Command header: `exec`, `port-forward`. */
  command: string;
}

export function targetUrl(t: StreamTarget, scheme: 'ws' | 'http'): URL {
  const base = new URL(t.config.server);
  const secure = base.protocol === 'https:';
  const url = new URL(base.toString());
  url.protocol = scheme === 'ws' ? (secure ? 'wss:' : 'ws:') : secure ? 'https:' : 'http:';
  url.pathname = base.pathname.replace(/\/+$/, '') + t.path;
  url.search = t.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return url;
}

function headers(t: StreamTarget): Record<string, string> {
  const h: Record<string, string> = {
    'User-Agent': `kubectl/${KUBECTL_VERSION.gitVersion} (${process.platform}/amd64) skiff`,
    'Kubectl-Command': `kubectl ${t.command}`,
  };
  // client-go sends credentials only over TLS.
  if (t.config.server.startsWith('https:') && t.config.token) h['Authorization'] = `Bearer ${t.config.token}`;
  return h;
}

interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

function tlsOptions(config: ClientConfig): TlsOptions {
  const o: TlsOptions = { rejectUnauthorized: !config.insecureSkipTlsVerify };
  if (config.caPem) o.ca = config.caPem;
  if (config.certPem) o.cert = config.certPem;
  if (config.keyPem) o.key = config.keyPem;
  if (config.tlsServerName) o.servername = config.tlsServerName;
  return o;
}

function readBody(res: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (body.length < limit) body += c;
    });
    res.on('end', () => resolve(body));
    res.on('error', () => resolve(body));
  });
}

/** A Status in a response body, as client-go's decoder would find it; undefined for anything else. */
export function statusFromBody(status: number, body: string): ApiError | undefined {
  try {
    const parsed = JSON.parse(body) as Status;
    if (parsed && typeof parsed === 'object' && parsed.kind === 'Status') return new ApiError({ ...parsed, code: typeof parsed.code === 'number' ? parsed.code : status });
  } catch {
    // not JSON
  }
  return undefined;
}

/**
 * A WebSocket to the target offering `protocols`. `tunnel` names a subprotocol `ws` will not send itself (not an
 * RFC 7230 token, like SPDY/3.1+portforward.k8s.io): it goes as a plain header and the answer is checked here.
 * Resolves with the socket and the subprotocol the server chose.
 */
export async function dialWebSocket(t: StreamTarget, protocols: readonly string[], options: { tunnel?: boolean } = {}): Promise<{ ws: WebSocket; protocol: string }> {
  const { default: WebSocketClass } = await import('ws');
  const url = targetUrl(t, 'ws');
  const extra = headers(t);
  if (options.tunnel) extra['Sec-WebSocket-Protocol'] = protocols.join(', ');
  const ws = new WebSocketClass(url, options.tunnel ? [] : [...protocols], {
    ...tlsOptions(t.config),
    headers: extra,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
  });
  let chosen = '';
  ws.once('upgrade', (res: IncomingMessage) => {
    chosen = String(res.headers['sec-websocket-protocol'] ?? '');
    if (options.tunnel) delete res.headers['sec-websocket-protocol'];
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (req, res: IncomingMessage) => {
      void readBody(res).then((body) => {
        req.destroy();
        const status = res.statusCode ?? 0;
        reject(new UpgradeFailureError(`websocket: bad handshake (${status} ${res.statusMessage ?? ''})`, status, body));
      });
    });
    ws.once('error', (err: Error) => reject(err));
  });
  if (!protocols.includes(chosen)) {
    ws.terminate();
    throw new UpgradeFailureError(`invalid protocol, expected one of ${JSON.stringify(protocols)}, got "${chosen}"`, 101, '');
  }
  return { ws, protocol: chosen };
}

/**
 * The SPDY/3.1 upgrade kubectl falls back to: POST with `X-Stream-Protocol-Version` for each protocol. Resolves with
 * the raw socket and the protocol the server chose; a refusal rejects with kubectl's error (a Status's ApiError, or
 * SpdyUpgradeError `unable to upgrade connection: <body>`).
 */
export async function upgradeSpdy(t: StreamTarget, protocols: readonly string[]): Promise<{ socket: Socket; protocol: string; head: Buffer }> {
  const url = targetUrl(t, 'http');
  const secure = url.protocol === 'https:';
  const http = secure ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (secure ? 443 : 80),
      path: url.pathname + url.search,
      method: 'POST',
      agent: false,
      ...tlsOptions(t.config),
      headers: { ...headers(t), Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': [...protocols], 'Content-Length': '0' },
    });
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      const upgrade = String(res.headers.upgrade ?? '').toLowerCase();
      if (!upgrade.includes('spdy/3.1')) {
        socket.destroy();
        reject(new SpdyUpgradeError('unable to upgrade connection: '));
        return;
      }
      resolve({ socket, protocol: String(res.headers['x-stream-protocol-version'] ?? ''), head });
    });
    req.on('response', (res: IncomingMessage) => {
      void readBody(res, Infinity).then((body) => {
        const status = statusFromBody(res.statusCode ?? 0, body);
        reject(status ?? new SpdyUpgradeError(`unable to upgrade connection: ${body.trim()}`));
      });
    });
    req.on('error', (err) => reject(new SpdyUpgradeError(`error sending request: ${err.message}`, { cause: err })));
    req.end();
  });
}
