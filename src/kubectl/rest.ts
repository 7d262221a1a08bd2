// The HTTP side of Skiff's kubectl: one keep-alive connection to the API server (HTTPS or plain HTTP), the
// kubeconfig's credentials, and errors turned into kubectl's wording.
// node:http and node:https load at the first request: commands that never reach the server skip compiling them.
import type { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import type { Agent as HttpsAgent, AgentOptions as HttpsAgentOptions } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import { ApiError, apiErrorFrom } from '../client/errors.ts';
import type { ClientConfig } from './kubeconfig.ts';

export { ApiError };

export const ACCEPT_JSON = 'application/json';
export const ACCEPT_TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
export const ACCEPT_DISCOVERY =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

export const KUBECTL_VERSION = { major: '1', minor: '35', gitVersion: 'v1.35.2', kustomize: 'v5.7.1' } as const;

/** The server could not be reached; the message is kubectl's. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

export interface RestRequest {
  method?: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  accept?: string;
  body?: unknown;
  contentType?: string;
  /** Streams a successful response's body here as it arrives (`logs -f`) instead of collecting it. */
  onData?: (chunk: Buffer) => void;
}

export interface RestResponse {
  status: number;
  contentType: string;
  text: string;
}

interface Transport {
  agent: HttpAgent | HttpsAgent;
  send: typeof httpRequest;
}

export class RestClient {
  readonly #url: URL;
  readonly #tls: boolean;
  #transport: Promise<Transport> | undefined;
  #agent: HttpAgent | HttpsAgent | undefined;
  readonly #headers: Record<string, string>;

  constructor(
    readonly config: ClientConfig,
    command: string,
  ) {
    this.#url = new URL(config.server);
    this.#tls = this.#url.protocol === 'https:';
    this.#headers = { 'user-agent': `kubectl/${KUBECTL_VERSION.gitVersion} (${process.platform}/amd64) skiff`, 'kubectl-command': `kubectl ${command}` };
    // client-go sends credentials only over TLS.
    if (this.#tls && config.token) this.#headers['authorization'] = `Bearer ${config.token}`;
  }

  /** One keep-alive connection, made on first use. */
  #connection(): Promise<Transport> {
    return (this.#transport ??= (async () => {
      const config = this.config;
      if (this.#tls) {
        const [https, tls, { createSecureContextFor }] = await Promise.all([import('node:https'), import('node:tls'), import('./extra-ca.ts')]);
        const options: HttpsAgentOptions = { keepAlive: true, maxSockets: 1, rejectUnauthorized: !config.insecureSkipTlsVerify };
        const secure: SecureContextOptions = {};
        if (config.caPem) secure.ca = config.caPem;
        if (config.certPem) secure.cert = config.certPem;
        if (config.keyPem) secure.key = config.keyPem;
        options.secureContext = createSecureContextFor(tls, secure);
        if (config.tlsServerName) options.servername = config.tlsServerName;
        this.#agent = new https.Agent(options);
        return { agent: this.#agent, send: https.request };
      }
      const http = await import('node:http');
      this.#agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      return { agent: this.#agent, send: http.request };
    })());
  }

  get host(): string {
    return this.#url.host;
  }

  /** Sends one request; resolves for 2xx, rejects with ApiError (a Status) otherwise, or ConnectionError. */
  async request(req: RestRequest): Promise<RestResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
    const qs = params.toString();
    const basePath = this.#url.pathname.replace(/\/+$/, '');
    const path = basePath + req.path + (qs ? `?${qs}` : '');
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const headers: Record<string, string> = { ...this.#headers, accept: req.accept ?? ACCEPT_JSON };
    if (body !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const { agent, send } = await this.#connection();
    const response = await new Promise<{ res: IncomingMessage; text: string }>((resolve, reject) => {
      const r = send(
        { host: this.#url.hostname, port: this.#url.port || (this.#tls ? 443 : 80), path, method: req.method ?? 'GET', headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
          const onData = req.onData;
          res.on('data', (c: Buffer) => (ok && onData ? onData(c) : chunks.push(c)));
          res.on('end', () => resolve({ res, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.on('error', (err: NodeJS.ErrnoException) => reject(this.#connectionError(err)));
      r.end(body);
    });
    const status = response.res.statusCode ?? 0;
    const contentType = String(response.res.headers['content-type'] ?? '');
    if (status >= 200 && status < 300) return { status, contentType, text: response.text };
    let decoded: unknown = response.text;
    try {
      decoded = JSON.parse(response.text);
    } catch {
      // not JSON: the text is the message
    }
    throw apiErrorFrom(status, decoded);
  }

  async json<T>(req: RestRequest): Promise<T> {
    const res = await this.request(req);
    return JSON.parse(res.text) as T;
  }

  #connectionError(err: NodeJS.ErrnoException): Error {
    const host = this.#url.port ? this.#url.host : `${this.#url.hostname}:${this.#tls ? 443 : 80}`;
    if (err.code === 'ECONNREFUSED') return new ConnectionError(`The connection to the server ${host} was refused - did you specify the right host or port?`, { cause: err });
    return new ConnectionError(`Unable to connect to the server: ${err.message}`, { cause: err });
  }

  close(): void {
    this.#agent?.destroy();
  }
}

/** kubectl's one-line form of a server error: `Error from server (NotFound): pods "x" not found`. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const reason = err.reason;
    const message = err.status.message ?? err.message;
    if (!reason || reason === 'Unknown') return `error: ${message}`;
    return `Error from server (${reason}): ${message}`;
  }
  if (err instanceof ConnectionError) return err.message;
  if ((err as Error)?.name === 'InvalidConfigurationError') return `Error in configuration: ${(err as Error).message}`;
  return `error: ${(err as Error)?.message ?? String(err)}`;
}
