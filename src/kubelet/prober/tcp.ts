// tcpSocket probes, as upstream's pkg/probe/tcp: a connection that opens is a success, and is closed at once.
import net from 'node:net';
import type { TCPSocketAction } from 'kubernetes-types/core/v1.d.ts';
import { defaultHost, dialErrorText, joinHostPort, type ProbeResult, type ProbeTarget, resolveContainerPort } from './common.ts';

/** Opens a TCP connection to host:port within timeoutMs; the message is Go's dial error when it does not. */
export function dialTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const addr = joinHostPort(host, port);
  return new Promise<ProbeResult>((resolve) => {
    if (signal?.aborted) return resolve({ result: 'unknown', message: 'probe cancelled' });
    const socket = net.connect({ host, port });
    let settled = false;
    const settle = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => settle({ result: 'unknown', message: 'probe cancelled' });
    const timer = setTimeout(() => settle({ result: 'failure', message: `dial tcp ${addr}: i/o timeout` }), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => settle({ result: 'success', message: '' }));
    socket.once('error', (err) => settle({ result: 'failure', message: dialErrorText(addr, err) }));
  });
}

export function tcpSocketProbe(action: TCPSocketAction, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  let host: string;
  let port: number;
  try {
    port = resolveContainerPort(action.port, target.container);
    host = action.host || defaultHost(target);
  } catch (err) {
    return Promise.resolve({ result: 'unknown', message: (err as Error).message });
  }
  return dialTcp(host, port, timeoutMs, signal);
}
