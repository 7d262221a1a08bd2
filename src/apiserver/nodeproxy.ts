// The pods subresources the node serves: log (a stream the API server relays) and exec, attach and portforward
// (upgraded connections it passes through). As upstream: look up the pod, check the container, find its node's
// address (InternalIP first) and kubelet port, and call the node agent over HTTPS with the API server's kubelet
// client certificate — not verifying the agent's serving certificate unless a CA is configured.
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { KObject, ResourceType } from '../api/types.ts';
import type { Registry } from '../api/registry.ts';
import { fieldError, IS_NEGATIVE } from '../api/validation.ts';
import type { FieldError } from '../api/types.ts';
import type { Logger } from '../log.ts';
import { upgradeRequestHead } from '../kubelet/server/upgrade.ts';
import { ContainerLogStatusError, containerLogID } from '../kubelet/server/logstatus.ts';
import type { Res } from './http.ts';
import { drained } from './http.ts';
import { queryBool } from './requestinfo.ts';
import { StatusError, errors } from './status.ts';

/** The API server's client credentials toward node agents (kubeadm's apiserver-kubelet-client). */
export interface KubeletClientConfig {
  certPem: string;
  keyPem: string;
  /** Verify the agents' serving certificates against this CA; absent: not verified (upstream's default). */
  caPem?: string;
}

export interface NodeProxyContext {
  pods: { get(namespace: string, name: string): Promise<KObject> };
  nodes: { get(namespace: string, name: string): Promise<KObject> };
  kubelet?: KubeletClientConfig | undefined;
  logger: Logger;
}

export const NODE_SUBRESOURCES = ['log', 'exec', 'attach', 'portforward'] as const;
export type NodeSubresource = (typeof NODE_SUBRESOURCES)[number];

export function isNodeSubresource(subresource: string): subresource is NodeSubresource {
  return (NODE_SUBRESOURCES as readonly string[]).includes(subresource);
}

const DEFAULT_KUBELET_PORT = 10250;
/** kubeadm's --kubelet-preferred-address-types. */
const PREFERRED_ADDRESS_TYPES = ['InternalIP', 'ExternalIP', 'Hostname'];
/** Longest error body read back from an agent (upstream's maxReadLength). */
const MAX_ERROR_BODY = 50_000;

// ---- query options ----

function parseInt64(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function parseBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === '') return false;
  const b = queryBool(v);
  if (b === undefined) throw errors.badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
  return b;
}

export interface PodLogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  /** RFC3339, to the second. */
  sinceTime?: string;
  tailLines?: number;
  limitBytes?: number;
  insecureSkipTLSVerifyBackend: boolean;
}

/** PodLogOptions from the query, validated as upstream's ValidatePodLogOptions. */
export function parsePodLogOptions(query: URLSearchParams, podName: string): PodLogOptions {
  const opts: PodLogOptions = {
    container: query.get('container') ?? '',
    follow: parseBool(query, 'follow'),
    previous: parseBool(query, 'previous'),
    timestamps: parseBool(query, 'timestamps'),
    insecureSkipTLSVerifyBackend: parseBool(query, 'insecureSkipTLSVerifyBackend'),
  };
  const sinceSeconds = parseInt64(query, 'sinceSeconds');
  const tailLines = parseInt64(query, 'tailLines');
  const limitBytes = parseInt64(query, 'limitBytes');
  const sinceTime = query.get('sinceTime');
  if (sinceSeconds !== undefined) opts.sinceSeconds = sinceSeconds;
  if (tailLines !== undefined) opts.tailLines = tailLines;
  if (limitBytes !== undefined) opts.limitBytes = limitBytes;
  if (sinceTime) {
    const ms = Date.parse(sinceTime);
    if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\dT/.test(sinceTime)) throw errors.badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
    opts.sinceTime = new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
  const errs: FieldError[] = [];
  if (opts.tailLines !== undefined && opts.tailLines < 0) errs.push(fieldError.invalid('tailLines', opts.tailLines, IS_NEGATIVE));
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) errs.push(fieldError.invalid('limitBytes', opts.limitBytes, 'must be greater than 0'));
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) errs.push(fieldError.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) errs.push(fieldError.invalid('sinceSeconds', opts.sinceSeconds, 'must be greater than 0'));
  if (errs.length) throw errors.invalid('PodLogOptions', '', podName, errs);
  return opts;
}

// ---- the pod, its container, its node ----

function allContainers(pod: Pod): Container[] {
  const spec = pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...((spec?.ephemeralContainers ?? []) as Container[])];
}

/** The container a request means: the one named (which must exist), or the pod's only one. */
export function validateContainer(pod: Pod, container: string): string {
  const name = pod.metadata?.name ?? '';
  if (!container) {
    const containers = pod.spec?.containers ?? [];
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
    throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${allContainers(pod).map((c) => c.name).join(' ')}]`);
  }
  if (!allContainers(pod).some((c) => c.name === container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** What the kubelet answers from its pod status before reading a log (validateContainerLogStatus), as a 400. */
export function checkContainerLogStatus(pod: Pod, container: string, previous: boolean): void {
  try {
    containerLogID(pod, container, previous);
  } catch (err) {
    if (err instanceof ContainerLogStatusError) throw errors.badRequest(err.message);
    throw err;
  }
}

export interface NodeConnection {
  host: string;
  port: number;
}

/** Where the node's agent listens: its preferred address and status.daemonEndpoints.kubeletEndpoint.Port. */
export function nodeConnection(node: Node): NodeConnection {
  const addresses = node.status?.addresses ?? [];
  for (const type of PREFERRED_ADDRESS_TYPES) {
    const address = addresses.find((a) => a.type === type && a.address);
    if (address) {
      const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
      return { host: address.address, port: port > 0 ? port : DEFAULT_KUBELET_PORT };
    }
  }
  const known = addresses.map((a) => `{${a.type} ${a.address}}`).join(' ');
  throw new StatusError(500, '', `no preferred addresses found; known addresses: [${known}]`);
}

async function podNode(ctx: NodeProxyContext, pod: Pod): Promise<NodeConnection> {
  const node = (await ctx.nodes.get('', pod.spec!.nodeName!)) as unknown as Node;
  return nodeConnection(node);
}

function hostPort(c: NodeConnection): string {
  return `${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`;
}

function kubeletConfig(ctx: NodeProxyContext): KubeletClientConfig {
  if (!ctx.kubelet) throw new StatusError(500, '', 'the API server has no client certificate for node agents');
  return ctx.kubelet;
}

/** Go's net/http wording for a failed dial, e.g. `dial tcp 10.0.0.5:10250: connect: connection refused`. */
function dialError(err: unknown, address: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `dial tcp ${address}: connect: connection refused`;
  if (code === 'EHOSTUNREACH') return `dial tcp ${address}: connect: no route to host`;
  if (code === 'ETIMEDOUT') return `dial tcp ${address}: i/o timeout`;
  return err instanceof Error ? err.message : String(err);
}

// ---- pods/log ----

/** GET pods/NAME/log: the container's log, streamed from the node as text/plain. */
export async function servePodLog(ctx: NodeProxyContext, namespace: string, name: string, query: URLSearchParams, res: Res): Promise<void> {
  const opts = parsePodLogOptions(query, name);
  const pod = (await ctx.pods.get(namespace, name)) as unknown as Pod;
  const container = validateContainer(pod, opts.container);
  if (!pod.spec?.nodeName) {
    // Upstream streams nothing for a pod that is not on a node yet.
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Content-Length': 0 });
    res.end();
    return;
  }
  checkContainerLogStatus(pod, container, opts.previous);
  const conn = await podNode(ctx, pod);
  const params = new URLSearchParams();
  if (opts.follow) params.set('follow', 'true');
  if (opts.previous) params.set('previous', 'true');
  if (opts.timestamps) params.set('timestamps', 'true');
  if (opts.sinceSeconds !== undefined) params.set('sinceSeconds', String(opts.sinceSeconds));
  if (opts.sinceTime !== undefined) params.set('sinceTime', opts.sinceTime);
  if (opts.tailLines !== undefined) params.set('tailLines', String(opts.tailLines));
  if (opts.limitBytes !== undefined) params.set('limitBytes', String(opts.limitBytes));
  params.sort();
  const path = `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${params.size ? `?${params}` : ''}`;
  const kubelet = kubeletConfig(ctx);
  const verify = kubelet.caPem !== undefined && !opts.insecureSkipTLSVerifyBackend;

  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = https.request({
      host: conn.host,
      port: conn.port,
      method: 'GET',
      path,
      cert: kubelet.certPem,
      key: kubelet.keyPem,
      ...(kubelet.caPem !== undefined && { ca: kubelet.caPem }),
      rejectUnauthorized: verify,
      agent: false,
    });
    req.on('response', resolve);
    req.on('error', (err) => reject(new StatusError(500, '', `Get "https://${hostPort(conn)}${path}": ${dialError(err, hostPort(conn))}`, undefined, { cause: err })));
    res.on('close', () => req.destroy());
    req.end();
  });

  const status = upstream.statusCode ?? 500;
  if (status < 200 || status > 206) {
    let body = '';
    upstream.setEncoding('utf8');
    for await (const chunk of upstream as AsyncIterable<string>) {
      if (body.length < MAX_ERROR_BODY) body += chunk;
    }
    throw agentError(status, body.slice(0, MAX_ERROR_BODY), name);
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders?.();
  try {
    for await (const chunk of upstream as AsyncIterable<Buffer>) {
      if (res.writableEnded) break;
      if (!res.write(chunk)) await Promise.race([drained(res), new Promise<void>((resolve) => res.on('close', resolve))]);
    }
  } catch (err) {
    ctx.logger.debug('pod log stream from the node ended early', { pod: `${namespace}/${name}`, error: err });
  } finally {
    upstream.destroy();
    if (!res.writableEnded) res.end();
  }
}

/** An agent's non-2xx answer as the API server reports it (upstream's GenericHttpResponseChecker). */
export function agentError(status: number, body: string, name: string): StatusError {
  if (status === 500) return errors.internal(body);
  if (status === 400) return errors.badRequest(body);
  const details = { name, kind: 'pods/log' };
  const generic: Record<number, [string, string]> = {
    401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
    403: ['Forbidden', body],
    404: ['NotFound', 'the server could not find the requested resource'],
    405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
    422: ['Invalid', 'the server rejected our request due to an error in our request'],
    429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
    504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
  };
  const known = generic[status];
  const [reason, message] = known ?? (status >= 500 ? ['InternalError', `an error on the server (${JSON.stringify(body)}) has prevented the request from succeeding`] : ['', `the server responded with the status code ${status} but did not return more information`]);
  return new StatusError(status, reason, `${message} ( pods/log ${name})`, details);
}

// ---- exec, attach, portforward: upgraded connections ----

/** The agent's path and query for an exec, attach or portforward request (upstream's streamLocation). */
export function nodeStreamPath(subresource: Exclude<NodeSubresource, 'log'>, pod: Pod, container: string, query: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata?.namespace ?? '');
  const name = encodeURIComponent(pod.metadata?.name ?? '');
  const params = new URLSearchParams();
  if (subresource === 'portforward') {
    const ports = query.getAll('ports').flatMap((p) => p.split(',')).filter(Boolean);
    for (const p of ports) if (!/^\d+$/.test(p.trim()) || Number(p) < 1 || Number(p) > 65535) throw errors.badRequest(`invalid port ${JSON.stringify(p)}`);
    if (ports.length) params.set('port', ports.map((p) => p.trim()).join(','));
    return `/portForward/${ns}/${name}${params.size ? `?${params}` : ''}`;
  }
  for (const stream of ['stdin', 'stdout', 'stderr', 'tty']) if (parseBool(query, stream)) params.set(stream, '1');
  if (subresource === 'exec') for (const c of query.getAll('command')) params.append('command', c);
  params.sort();
  return `/${subresource}/${ns}/${name}/${encodeURIComponent(container)}${params.size ? `?${params}` : ''}`;
}

/** Headers that belong to the client's hop to the API server, not to the agent. */
const dropHeader = (name: string) => {
  const n = name.toLowerCase();
  return n === 'authorization' || n.startsWith('impersonate-') || n === 'x-remote-user' || n === 'x-remote-group';
};

/** Writes a Status error as a complete HTTP/1.1 response on a socket taken over for an upgrade. */
export function writeUpgradeError(socket: Duplex, err: unknown): void {
  if (socket.destroyed) return;
  const e = err instanceof StatusError ? err : errors.internal(err instanceof Error ? err.message : String(err));
  const body = Buffer.from(JSON.stringify(e.toStatus()));
  const head = [`HTTP/1.1 ${e.code} ${STATUS_CODES[e.code] ?? ''}`, 'Content-Type: application/json', 'Cache-Control: no-cache, private', `Content-Length: ${body.length}`, 'Connection: close'];
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n'), body]));
}

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_RESPONSE_HEAD = 64 * 1024;

/**
 * exec, attach or portforward with an Upgrade (WebSocket or SPDY): checks as upstream, then passes the request to
 * the node agent and joins the two connections once the agent has answered. Errors before that are thrown as
 * StatusErrors for the caller to write with writeUpgradeError.
 */
export async function proxyPodUpgrade(ctx: NodeProxyContext, subresource: Exclude<NodeSubresource, 'log'>, namespace: string, name: string, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const pod = (await ctx.pods.get(namespace, name)) as unknown as Pod;
  const container = subresource === 'portforward' ? '' : validateContainer(pod, query.get('container') ?? '');
  if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const conn = await podNode(ctx, pod);
  const path = nodeStreamPath(subresource, pod, container, query);
  const kubelet = kubeletConfig(ctx);
  const target = new URL(`https://${hostPort(conn)}${path}`);

  const agent = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const s = tls.connect({
      host: conn.host,
      port: conn.port,
      cert: kubelet.certPem,
      key: kubelet.keyPem,
      ...(kubelet.caPem !== undefined && { ca: kubelet.caPem }),
      rejectUnauthorized: kubelet.caPem !== undefined,
      ALPNProtocols: ['http/1.1'],
    });
    s.once('secureConnect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => reject(new StatusError(500, 'InternalError', `error dialing backend: ${dialError(err, hostPort(conn))}`, undefined, { cause: err })));
  });

  // The agent's status line and headers decide what happens next.
  agent.write(upgradeRequestHead(req, target, dropHeader));
  if (head.length) agent.write(head);
  let response: Buffer;
  try {
    response = await readResponseHead(agent);
  } catch (err) {
    agent.destroy();
    throw err;
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(response.toString('latin1', 0, 16))?.[1] ?? 0);
  if (status !== 101 && status < 400) {
    agent.destroy();
    throw new StatusError(500, '', `invalid upgrade response: status code ${status}`);
  }
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      agent.destroy();
      socket.destroy();
      resolve();
    };
    socket.write(response);
    agent.pipe(socket);
    // An error answer is echoed and the connection closed; a 101 joins both ways.
    if (status === 101) socket.pipe(agent);
    agent.on('error', finish);
    agent.on('close', finish);
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

/** Reads up to and including the blank line after the response headers (and whatever came with them). */
function readResponseHead(socket: tls.TLSSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.indexOf(HEAD_END) >= 0) {
        cleanup();
        socket.pause();
        resolve(buf);
      } else if (buf.length > MAX_RESPONSE_HEAD) {
        cleanup();
        reject(new StatusError(500, '', 'the node agent sent an oversized response head'));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new StatusError(500, '', `error reading from the node agent: ${err.message}`, undefined, { cause: err }));
    };
    const onEnd = () => {
      cleanup();
      reject(new StatusError(500, '', 'the node agent closed the connection before answering'));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
  });
}

/** The pods and nodes of the API server's own stores. */
export function nodeProxyContext(api: { registry: Registry; stores: Map<ResourceType, NodeProxyContext['pods']>; kubelet?: KubeletClientConfig | undefined; logger: Logger }): NodeProxyContext {
  const store = (resource: string) => {
    const type = api.registry.get('', 'v1', resource);
    const s = type && api.stores.get(type);
    if (!s) throw errors.internal(`no storage for ${resource}`);
    return s;
  };
  return { pods: store('pods'), nodes: store('nodes'), kubelet: api.kubelet, logger: api.logger };
}

/** A request for one of these subresources that is not an upgrade: pods/log, or an exec/attach/portforward without Upgrade. */
export async function servePodNodeSubresource(ctx: NodeProxyContext, subresource: NodeSubresource, verb: string, namespace: string, name: string, query: URLSearchParams, res: Res): Promise<void> {
  if (subresource === 'log') {
    if (verb !== 'get') throw errors.methodNotSupported('pods/log', '', verb);
    return servePodLog(ctx, namespace, name, query, res);
  }
  if (verb !== 'get' && verb !== 'create') throw errors.methodNotSupported(`pods/${subresource}`, '', verb);
  throw errors.badRequest('Upgrade request required');
}
