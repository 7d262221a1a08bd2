// postStart and preStop handlers (pkg/kubelet/lifecycle/handlers.go): exec in the container, an HTTP GET against it,
// or a sleep. A failure rejects with HookError carrying kubelet's message.
import http from 'node:http';
import https from 'node:https';
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.d.ts';
import { abortableSleep } from '../../client/sleep.ts';
import type { ContainerRuntime } from '../runtime.ts';
import { podFullName } from './format.ts';

export class HookError extends Error {
  override name = 'HookError';
}

export interface HookContext {
  runtime: ContainerRuntime;
  pod: Pod;
  container: Container;
  containerId: string;
  /** Where an httpGet without host goes: the pod's IP (the node's for host-network pods). */
  podIP: string;
  /** Seconds the handler may take (preStop: the grace period). */
  timeoutSeconds: number;
  signal?: AbortSignal;
}

/** A named port of the container, or the number given. */
export function resolvePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') return port;
  if (port === undefined || port === '') throw new HookError('port is not set');
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new HookError(`couldn't find port: ${port} in ${JSON.stringify(container.ports ?? [])}`);
  return named.containerPort;
}

function httpGet(url: URL, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(url, { headers: { 'User-Agent': 'kube-lifecycle/1.35', ...headers }, timeout: timeoutMs, rejectUnauthorized: false, ...(signal && { signal }) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${url.href}": context deadline exceeded`)));
    req.on('error', reject);
  });
}

/** Runs one lifecycle handler to completion. */
export async function runHandler(handler: LifecycleHandler, ctx: HookContext): Promise<void> {
  const { container, pod } = ctx;
  const timeoutSeconds = Math.max(1, ctx.timeoutSeconds);
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    let result;
    try {
      result = await ctx.runtime.execSync(ctx.containerId, command, timeoutSeconds, ctx.signal);
    } catch (err) {
      throw new HookError(`Exec lifecycle hook (${JSON.stringify(command)}) for Container "${container.name}" in Pod "${podFullName(pod)}" failed - error: ${(err as Error).message}, message: ""`, { cause: err });
    }
    if (result.exitCode !== 0) {
      const output = Buffer.concat([Buffer.from(result.stdout), Buffer.from(result.stderr)]).toString('utf8');
      throw new HookError(
        `Exec lifecycle hook (${JSON.stringify(command)}) for Container "${container.name}" in Pod "${podFullName(pod)}" failed - error: command '${command.join(' ')}' exited with ${result.exitCode}: ${output}, message: ${JSON.stringify(output)}`,
      );
    }
    return;
  }
  if (handler.httpGet) {
    const get = handler.httpGet;
    const path = get.path ?? '/';
    let status: number;
    try {
      const port = resolvePort(get.port, container);
      const host = get.host || ctx.podIP;
      const scheme = (get.scheme ?? 'HTTP').toLowerCase();
      const url = new URL(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`);
      const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
      status = await httpGet(url, headers, timeoutSeconds * 1000, ctx.signal);
    } catch (err) {
      throw new HookError(`HTTP lifecycle hook (${path}) for Container "${container.name}" in Pod "${podFullName(pod)}" failed - error: ${(err as Error).message}`, { cause: err });
    }
    if (status < 200 || status >= 400) {
      throw new HookError(`HTTP lifecycle hook (${path}) for Container "${container.name}" in Pod "${podFullName(pod)}" failed - error: HTTP status code ${status}`);
    }
    return;
  }
  if (handler.sleep) {
    await abortableSleep(Math.min(handler.sleep.seconds, timeoutSeconds) * 1000, ctx.signal);
    return;
  }
  throw new HookError(`invalid handler: ${JSON.stringify(handler)}`);
}
