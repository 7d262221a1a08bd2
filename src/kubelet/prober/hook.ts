// postStart and preStop handlers, as upstream's pkg/kubelet/lifecycle: exec (no timeout of its own — the caller's
// signal bounds it), httpGet (`kube-lifecycle/1.35`; any answer counts, only a failed request is an error; an HTTPS
// hook that answers plain HTTP is retried over HTTP) and sleep. Failure messages are upstream's, ready for the
// FailedPostStartHook / FailedPreStopHook event.
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.d.ts';
import { joinHostPort, MAX_OUTPUT_BYTES, type ProbeTarget } from './common.ts';
import { combinedOutput, untilAborted } from './exec.ts';
import { buildHttpGetRequest, type HttpGetRequest, httpGet } from './http.ts';

export interface HookTarget extends ProbeTarget {
  pod: Pod;
  container: Container;
}

export interface HookResult {
  ok: boolean;
  /** Empty when ok; otherwise upstream's message, e.g. `Exec lifecycle hook ([sh -c exit 1]) for Container "app" in Pod "web_default(uid)" failed - error: …`. */
  message: string;
  /** An event to record on the pod besides: an HTTPS hook that answered plain HTTP and worked over HTTP. */
  event?: { type: 'Warning'; reason: 'LifecycleHTTPFallback'; message: string };
}

export interface RunHandlerOptions {
  /** Milliseconds per second of a sleep handler (tests shrink it). */
  secondMs?: number;
}

/** upstream's format.Pod: name_namespace(uid). */
export function podDescription(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/** Go's %v of a []string: [sh -c exit 1]. */
function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

export async function runHandler(handler: LifecycleHandler, target: HookTarget, signal?: AbortSignal, options: RunHandlerOptions = {}): Promise<HookResult> {
  const where = `for Container ${JSON.stringify(target.container.name)} in Pod ${JSON.stringify(podDescription(target.pod))}`;
  if (handler.exec) {
    const cmd = handler.exec.command ?? [];
    const error = await execHook(cmd, target, signal);
    if (!error) return { ok: true, message: '' };
    return { ok: false, message: `Exec lifecycle hook (${goList(cmd)}) ${where} failed - error: ${error.error}, message: ${JSON.stringify(error.output)}` };
  }
  if (handler.httpGet) {
    const res = await httpHook(handler, target, signal);
    if (res.error === undefined) return { ok: true, message: '', ...(res.event ? { event: res.event } : {}) };
    return { ok: false, message: `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${where} failed - error: ${res.error}` };
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    if (await sleep(seconds * (options.secondMs ?? 1000), signal)) return { ok: true, message: '' };
    return { ok: false, message: `Sleep lifecycle hook (${seconds}) ${where} failed - error: container terminated before sleep hook finished` };
  }
  return { ok: false, message: `Cannot run handler: invalid handler: ${JSON.stringify(handler)}` };
}

async function execHook(cmd: string[], target: HookTarget, signal?: AbortSignal): Promise<{ error: string; output: string } | undefined> {
  try {
    const run = target.runtime.execSync(target.containerId, cmd, 0, signal);
    const res = await (signal ? untilAborted(run, signal) : run);
    if (res.exitCode === 0) return undefined;
    const stderr = Buffer.from(res.stderr).subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
    return { error: `command '${cmd.join(' ')}' exited with ${res.exitCode}: ${stderr}`, output: combinedOutput(res) };
  } catch (err) {
    if (signal?.aborted) return { error: 'context canceled', output: '' };
    return { error: (err as Error).message, output: '' };
  }
}

async function httpHook(handler: LifecycleHandler, target: HookTarget, signal?: AbortSignal): Promise<{ error?: string; event?: HookResult['event'] }> {
  const action = handler.httpGet!;
  const host = action.host || target.podIPs[0];
  if (!host) return { error: 'failed to find networking container: pod has no IP address' };
  let request: HttpGetRequest;
  try {
    request = buildHttpGetRequest(action, target.container, host, 'lifecycle');
  } catch (err) {
    return { error: (err as Error).message };
  }
  const opts = signal ? { signal } : {};
  const first = await httpGet(request, opts);
  if (first.kind === 'response') return {};
  if (!first.httpToHttps) return { error: first.message };
  // Upstream retries an HTTPS hook that answered plain HTTP over HTTP, without the Authorization header.
  const url = new URL(request.url);
  const port = url.port || '443';
  url.protocol = 'http:';
  url.port = port;
  const headers = { ...request.headers };
  delete headers['Authorization'];
  const retry = await httpGet({ url, display: request.display.replace(/^https:/, 'http:'), headers }, opts);
  if (retry.kind === 'error') return { error: first.message };
  const hostPort = joinHostPort(url.hostname.replace(/^\[(.*)\]$/, '$1'), Number(port));
  return { event: { type: 'Warning', reason: 'LifecycleHTTPFallback', message: `request to HTTPS lifecycle hook ${hostPort} got HTTP response, retry with HTTP succeeded` } };
}

/** Resolves true after `ms`, false if `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
