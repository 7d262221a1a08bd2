// /exec/{namespace}/{pod}/{container} and /attach/…: find the running container through CRI labels, ask the runtime
// for a streaming URL (CRI Exec or Attach), and join the client to it — a WebSocket client through the channel relay
// (remotecommand.ts) and a SPDY session to the runtime (streaming-spdy.ts), a SPDY client straight through to the
// runtime, which speaks SPDY itself.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../log.ts';
import { RuntimeError, type Container, type ContainerRuntime } from '../runtime.ts';
import { CRI_LABELS } from '../seams.ts';
import { httpErrors, KubeletHttpError } from './errors.ts';
import { chooseProtocol, relayRemoteCommand, type RemoteCommandBackend } from './remotecommand.ts';
import { dialSpdyBackend } from './streaming-spdy.ts';
import { passUpgradeThrough } from './upgrade.ts';

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface RemoteCommandTarget {
  namespace: string;
  pod: string;
  container: string;
}

export interface RemoteCommandContext {
  runtime: ContainerRuntime;
  logger: Logger;
  /** A `noServer` WebSocket server that completes the handshakes. */
  wss: WebSocketServer;
  /** Opens a session on a runtime streaming URL; default SPDY (dialSpdyBackend), which can end stdin on its own. */
  dialBackend?: (url: string, options: StreamOptions, signal?: AbortSignal) => Promise<RemoteCommandBackend>;
  signal?: AbortSignal;
}

const truthy = (v: string | null) => v === '1' || v === 'true' || v === 'True' || v === 'TRUE' || v === 't' || v === 'T';

/** The kubelet's remotecommand options: `1` or `true` turns a stream on; with a terminal there is no separate stderr. */
export function parseStreamOptions(query: URLSearchParams): StreamOptions {
  const tty = truthy(query.get('tty'));
  const opts = { stdin: truthy(query.get('stdin')), stdout: truthy(query.get('stdout')), stderr: truthy(query.get('stderr')) && !tty, tty };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw httpErrors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return opts;
}

/** The pod's running container of that name (the newest, should there be two). */
export async function findRunningContainer(runtime: ContainerRuntime, target: RemoteCommandTarget): Promise<Container> {
  const running = await runtime.listContainers({
    state: 'CONTAINER_RUNNING',
    labelSelector: { [CRI_LABELS.podNamespace]: target.namespace, [CRI_LABELS.podName]: target.pod, [CRI_LABELS.containerName]: target.container },
  });
  const newest = running.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))[0];
  if (newest) return newest;
  const sandboxes = await runtime.listPodSandbox({ labelSelector: { [CRI_LABELS.podNamespace]: target.namespace, [CRI_LABELS.podName]: target.pod } });
  if (sandboxes.length === 0) throw httpErrors.notFound('pod does not exist');
  throw httpErrors.notFound(`container not found ("${target.container}")`);
}

function runtimeHttpError(err: unknown): KubeletHttpError {
  if (err instanceof KubeletHttpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RuntimeError && err.code === 'NotFound') return new KubeletHttpError(404, message, { cause: err });
  return new KubeletHttpError(500, message, { cause: err });
}

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/**
 * Serves an exec or attach upgrade on `socket`. Errors before the upgrade are thrown as KubeletHttpError for the
 * caller to answer; afterwards the session runs until either side ends.
 */
export async function serveRemoteCommand(kind: 'exec' | 'attach', req: IncomingMessage, socket: Duplex, head: Buffer, target: RemoteCommandTarget, query: URLSearchParams, ctx: RemoteCommandContext): Promise<void> {
  const options = parseStreamOptions(query);
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  const websocket = upgrade === 'websocket';
  if (!websocket && !upgrade.startsWith('spdy/')) throw httpErrors.badRequest(`unable to upgrade: unsupported protocol ${JSON.stringify(req.headers.upgrade ?? '')}`);
  const protocol = websocket ? chooseProtocol(offeredProtocols(req)) : undefined;
  if (websocket && !protocol) throw new KubeletHttpError(403, `unable to upgrade: none of the requested subprotocols is supported (v5.channel.k8s.io, v4.channel.k8s.io)`);

  const container = await findRunningContainer(ctx.runtime, target);
  let url: string;
  try {
    url =
      kind === 'exec'
        ? await ctx.runtime.exec({ containerId: container.id, cmd: query.getAll('command'), ...options }, ctx.signal)
        : await ctx.runtime.attach({ containerId: container.id, ...options }, ctx.signal);
  } catch (err) {
    throw runtimeHttpError(err);
  }

  if (!websocket) {
    // SPDY clients (kubectl with WebSockets off, older clients) speak the runtime's own protocol.
    await passUpgradeThrough(req, socket, head, new URL(url));
    return;
  }
  let backend: RemoteCommandBackend;
  try {
    backend = await (ctx.dialBackend ?? dialSpdyBackend)(url, options, ctx.signal);
  } catch (err) {
    throw runtimeHttpError(err);
  }
  const client = await new Promise<WebSocket>((resolve) => ctx.wss.handleUpgrade(req, socket, head, resolve));
  ctx.logger.debug(`${kind} session started`, { pod: `${target.namespace}/${target.pod}`, container: target.container, protocol: client.protocol });
  await relayRemoteCommand(client, client.protocol, backend, ctx.logger);
}
