// One run of a container probe (upstream's prober actions): httpGet, tcpSocket, exec or grpc, bounded by
// timeoutSeconds (default 1).
import type { Probe } from 'kubernetes-types/core/v1.d.ts';
import { type ProbeResult, type ProbeTarget, timeoutMsOf } from './common.ts';
import { execProbe } from './exec.ts';
import { grpcProbe } from './grpc.ts';
import { httpGetProbe } from './http.ts';
import { tcpSocketProbe } from './tcp.ts';

export interface RunProbeOptions {
  /** Overrides timeoutSeconds (tests, and the manager's scaled clock). */
  timeoutMs?: number;
}

export function runProbe(probe: Probe, target: ProbeTarget, signal?: AbortSignal, options: RunProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? timeoutMsOf(probe.timeoutSeconds);
  if (probe.exec) return execProbe(probe.exec, target, timeoutMs, signal);
  if (probe.httpGet) return httpGetProbe(probe.httpGet, target, timeoutMs, signal);
  if (probe.tcpSocket) return tcpSocketProbe(probe.tcpSocket, target, timeoutMs, signal);
  if (probe.grpc) return grpcProbe(probe.grpc, target, timeoutMs, signal);
  return Promise.resolve({ result: 'unknown', message: `missing probe handler for container ${target.container?.name ?? target.containerId}` });
}
