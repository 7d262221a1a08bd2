// What every probe handler shares: the target it probes, the result it returns, port resolution and the Go-style
// wording of network errors (upstream's messages are what `kubectl describe` users search for).
import type { Container } from 'kubernetes-types/core/v1.d.ts';
import type { ContainerRuntime } from '../runtime.ts';

/** success, failure, or unknown: the probe could not be run at all (bad port, runtime error); upstream throws it away. */
export type ProbeOutcome = 'success' | 'failure' | 'unknown';

export interface ProbeResult {
  result: ProbeOutcome;
  message: string;
  /** A success worth a ProbeWarning event (an HTTP redirect to another host was not followed). */
  warning?: boolean;
}

/** What a probe or hook runs against. */
export interface ProbeTarget {
  /** The pod's IPs; the first is the default host of httpGet, tcpSocket and grpc. */
  podIPs: readonly string[];
  containerId: string;
  runtime: Pick<ContainerRuntime, 'execSync'>;
  /** Used when the pod has no IP yet (host-network pods report the host's). */
  hostIP?: string;
  /** The container's spec: resolves named ports and `$(VAR)` in exec commands. */
  container?: Container;
}

/** The Kubernetes minor version Skiff speaks; probes say `kube-probe/1.35`. */
export const KUBE_MINOR_VERSION = '1.35';

/** Upstream reads at most 10 KiB of a probe's HTTP body or exec output. */
export const MAX_OUTPUT_BYTES = 10 * 1024;

export const DEFAULT_TIMEOUT_SECONDS = 1;

export class ProbeConfigError extends Error {
  override name = 'ProbeConfigError';
}

/** A port given by number or name: names are looked up in the container's ports, then parsed as a number. */
export function resolveContainerPort(port: number | string | undefined, container: Container | undefined): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string') {
    const named = container?.ports?.find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) n = Number(port);
    else throw new ProbeConfigError(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
  } else throw new ProbeConfigError(`intOrString had no kind: ${String(port)}`);
  if (!Number.isInteger(n) || n <= 0 || n >= 65536) throw new ProbeConfigError(`invalid port number: ${n}`);
  return n;
}

/** The host a probe talks to when its spec names none. */
export function defaultHost(target: ProbeTarget): string {
  const host = target.podIPs[0] ?? target.hostIP;
  if (!host) throw new ProbeConfigError('pod has no IP address');
  return host;
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  EADDRNOTAVAIL: 'connect: cannot assign requested address',
  ECONNRESET: 'read: connection reset by peer',
  EPIPE: 'write: broken pipe',
  ETIMEDOUT: 'i/o timeout',
};

/** A failed dial as Go words it: `dial tcp 10.0.0.5:80: connect: connection refused`. */
export function dialErrorText(addr: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const text = typeof code === 'string' ? ERRNO_TEXT[code] : undefined;
  return `dial tcp ${addr}: ${text ?? (err instanceof Error ? err.message : String(err))}`;
}

export function errnoText(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? ERRNO_TEXT[code] : undefined;
}

/**
 * A signal that aborts when `signal` does or after `timeoutMs`, and tells which happened. `dispose()` clears the
 * timer; call it when the work is done.
 */
export function deadline(timeoutMs: number | undefined, signal?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new Error('timeout'));
        }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

export function timeoutMsOf(timeoutSeconds: number | undefined): number {
  return (timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds : DEFAULT_TIMEOUT_SECONDS) * 1000;
}
