// The node agent's own HTTPS server (upstream kubelet's :10250), which the API server calls for pods/log, exec,
// attach and portforward. Only clients with a certificate from the cluster CA get in: 401 without one, 403 for a
// user who may not use the node's API.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../log.ts';
import { X509Authenticator, type UserInfo } from '../../apiserver/authn.ts';
import type { ContainerRuntime } from '../runtime.ts';
import type { KubeletPaths } from '../seams.ts';
import { parseLogQuery, serveContainerLogs, type PodSource } from './containerlogs.ts';
import { KubeletHttpError } from './errors.ts';
import { serveRemoteCommand, type RemoteCommandContext } from './exec.ts';
import { chooseProtocol } from './remotecommand.ts';
import { writeHttpError } from './upgrade.ts';
import { findPodSandbox } from './sandbox.ts';
import { handlePortForward } from './portforward.ts';
import { criPortForwardTarget } from './portforward-cri.ts';

export interface KubeletServerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  tls: { certPem: string; keyPem: string; clientCAPem: string };
  runtime: ContainerRuntime;
  paths: KubeletPaths;
  logger: Logger;
  /** Who may use the node's API; default: the cluster's admins and the API server's kubelet client (see mayUseNodeAPI). */
  authorize?: (user: UserInfo) => boolean;
  /**
   * The agent's pods with their status: container logs then come from the instance the status names, as upstream
   * (e.g. --previous of a container waiting to restart is its last run). Without it they are found from the files.
   */
  pods?: PodSource;
  /** Overrides how exec/attach sessions reach the runtime (tests). */
  dialBackend?: RemoteCommandContext['dialBackend'];
}

export interface RunningKubeletServer {
  port: number;
  /** Settles once the server has stopped after the signal aborted. */
  closed: Promise<void>;
}

/** Groups and users upstream binds to the kubelet API (system:kubelet-api-admin and kubeadm's apiserver-kubelet-client). */
const NODE_API_GROUPS = new Set(['system:masters', 'kubeadm:cluster-admins']);
const NODE_API_USERS = new Set(['kube-apiserver-kubelet-client', 'kube-apiserver']);

export function mayUseNodeAPI(user: UserInfo): boolean {
  return NODE_API_USERS.has(user.username) || user.groups.some((g) => NODE_API_GROUPS.has(g));
}

interface Route {
  kind: 'containerLogs' | 'exec' | 'attach' | 'portForward' | 'healthz';
  namespace: string;
  pod: string;
  container: string;
  /** The upstream path's pod UID segment, when given. */
  uid?: string;
}

/** The kubelet's paths: /containerLogs/ns/pod/container, /exec|attach/ns/pod[/uid]/container, /portForward/ns/pod[/uid]. */
export function route(pathname: string): Route | undefined {
  let segs: string[];
  try {
    segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined; // malformed percent-encoding
  }
  const [kind, namespace = '', pod = ''] = segs;
  if (kind === 'healthz' && segs.length === 1) return { kind, namespace: '', pod: '', container: '' };
  if (kind === 'containerLogs' && segs.length === 4) return { kind, namespace, pod, container: segs[3]! };
  if ((kind === 'exec' || kind === 'attach') && (segs.length === 4 || segs.length === 5)) {
    return { kind, namespace, pod, container: segs.at(-1)!, ...(segs.length === 5 && { uid: segs[3]! }) };
  }
  if (kind === 'portForward' && (segs.length === 3 || segs.length === 4)) return { kind, namespace, pod, container: '', ...(segs.length === 4 && { uid: segs[3]! }) };
  return undefined;
}

function verbOf(method: string | undefined): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'get';
  }
}

export async function startKubeletServer(opts: KubeletServerOptions, signal: AbortSignal): Promise<RunningKubeletServer> {
  const logger = opts.logger;
  const authenticator = new X509Authenticator({ ca: opts.tls.clientCAPem });
  const authorize = opts.authorize ?? mayUseNodeAPI;
  const server = https.createServer({
    cert: opts.tls.certPem,
    key: opts.tls.keyPem,
    ca: opts.tls.clientCAPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => chooseProtocol(offered) ?? false });
  const sessions = new AbortController();
  // Sockets taken over by upgrades: the HTTP server no longer tracks them.
  const upgraded = new Set<Duplex>();
  const commandContext: RemoteCommandContext = { runtime: opts.runtime, logger, wss, signal: sessions.signal, ...(opts.dialBackend && { dialBackend: opts.dialBackend }) };

  // 401 without a cluster certificate, 403 for users without access; undefined when the request may go on.
  const admit = (req: IncomingMessage): KubeletHttpError | undefined => {
    const user = authenticator.authenticate({ socket: req.socket as TLSSocket, headers: req.headers });
    if (!user) return new KubeletHttpError(401, 'Unauthorized');
    if (authorize(user)) return undefined;
    // Everything this server serves is the nodes/proxy subresource to upstream's authorizer.
    return new KubeletHttpError(403, `Forbidden (user=${user.username}, verb=${verbOf(req.method)}, resource=nodes, subresource(s)=[proxy])`);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://node.invalid');
      try {
        const denied = admit(req);
        if (denied) throw denied;
        const r = route(url.pathname);
        if (!r) throw new KubeletHttpError(404, '404 page not found\n');
        if (r.kind === 'healthz') {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
          return;
        }
        if (r.kind !== 'containerLogs') throw new KubeletHttpError(400, 'Upgrade request required');
        if (req.method !== 'GET') throw new KubeletHttpError(405, `${req.method} is not allowed`);
        const { previous, options } = parseLogQuery(url.searchParams);
        const aborted = new AbortController();
        const stop = () => aborted.abort();
        res.on('close', stop);
        signal.addEventListener('abort', stop, { once: true });
        try {
          await serveContainerLogs(opts.paths, opts.runtime, { namespace: r.namespace, pod: r.pod, container: r.container, previous, options }, res, aborted.signal, opts.pods);
        } finally {
          signal.removeEventListener('abort', stop);
        }
      } catch (err) {
        const e = err instanceof KubeletHttpError ? err : new KubeletHttpError(500, err instanceof Error ? err.message : String(err));
        if (e.status >= 500) logger.warn('node API request failed', { method: req.method, path: url.pathname, error: err });
        if (res.headersSent) {
          res.end();
          return;
        }
        res.writeHead(e.status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(e.message);
      }
    })();
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug('node API upgrade socket error', { error: err }));
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://node.invalid');
      try {
        const denied = admit(req);
        if (denied) throw denied;
        const r = route(url.pathname);
        if (!r || r.kind === 'healthz' || r.kind === 'containerLogs') throw new KubeletHttpError(404, '404 page not found\n');
        const target = { namespace: r.namespace, pod: r.pod, container: r.container };
        upgraded.add(socket);
        socket.once('close', () => upgraded.delete(socket));
        if (r.kind === 'portForward') {
          const sandbox = await findPodSandbox(opts.runtime, r.namespace, r.pod);
          // Through the runtime into the sandbox's network namespace; errors name the sandbox, as containerd's do.
          handlePortForward(req, socket, head, criPortForwardTarget(opts.runtime, sandbox.id), { signal: sessions.signal, log: (m) => logger.debug(m) });
          return;
        }
        await serveRemoteCommand(r.kind, req, socket, head, target, url.searchParams, commandContext);
      } catch (err) {
        const e = err instanceof KubeletHttpError ? err : new KubeletHttpError(500, err instanceof Error ? err.message : String(err));
        if (e.status >= 500) logger.warn('node API upgrade failed', { method: req.method, path: url.pathname, error: err });
        writeHttpError(socket, e.status, e.message);
      }
    })();
  });
  server.on('tlsClientError', (err) => logger.debug('node API TLS handshake failed', { error: err }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('node API listening', { address: `${opts.host}:${port}` });

  const closed = new Promise<void>((resolve) => {
    const stop = () => {
      sessions.abort();
      for (const client of wss.clients) client.terminate();
      for (const socket of upgraded) socket.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  return { port, closed };
}
