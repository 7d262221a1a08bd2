// grpc probes, as upstream's pkg/probe/grpc: one grpc.health.v1.Health/Check call over a fresh plaintext connection
// to the pod IP; SERVING is a success, every other answer or error a failure worded as upstream words it.
import * as grpc from '@grpc/grpc-js';
import type { GRPCAction } from 'kubernetes-types/core/v1.d.ts';
import { GRPC_CODE_NAMES } from '../cri/errors.ts';
import { defaultHost, joinHostPort, KUBE_MINOR_VERSION, type ProbeResult, type ProbeTarget } from './common.ts';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export const SERVING_STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

function writeVarint(out: number[], value: number): void {
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function readVarint(buf: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new Error('truncated varint');
}

/** HealthCheckRequest { string service = 1; } */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  const out: number[] = [0x0a];
  writeVarint(out, bytes.length);
  return Buffer.concat([Buffer.from(out), bytes]);
}

export function decodeHealthCheckRequest(buf: Buffer): string {
  let service = '';
  for (let at = 0; at < buf.length; ) {
    const [tag, afterTag] = readVarint(buf, at);
    at = skipOrRead(buf, tag, afterTag, (field, value) => {
      if (field === 1 && Buffer.isBuffer(value)) service = value.toString('utf8');
    });
  }
  return service;
}

/** HealthCheckResponse { ServingStatus status = 1; } */
export function encodeHealthCheckResponse(status: number): Buffer {
  if (status === 0) return Buffer.alloc(0);
  const out: number[] = [0x08];
  writeVarint(out, status);
  return Buffer.from(out);
}

export function decodeHealthCheckResponse(buf: Buffer): number {
  let status = 0;
  for (let at = 0; at < buf.length; ) {
    const [tag, afterTag] = readVarint(buf, at);
    at = skipOrRead(buf, tag, afterTag, (field, value) => {
      if (field === 1 && typeof value === 'number') status = value;
    });
  }
  return status;
}

/** Reads one field's value (varint or length-delimited) or skips it; returns where the next field starts. */
function skipOrRead(buf: Buffer, tag: number, at: number, use: (field: number, value: number | Buffer) => void): number {
  const field = Math.floor(tag / 8);
  switch (tag & 7) {
    case 0: {
      const [value, next] = readVarint(buf, at);
      use(field, value);
      return next;
    }
    case 1:
      return at + 8;
    case 2: {
      const [len, start] = readVarint(buf, at);
      if (start + len > buf.length) throw new Error('truncated field');
      use(field, buf.subarray(start, start + len));
      return start + len;
    }
    case 5:
      return at + 4;
    default:
      throw new Error(`unsupported wire type ${tag & 7}`);
  }
}

/** Go's time.Duration String for whole milliseconds: 1s, 1.5s, 500ms. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s - m * 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s - m * 60}s`;
}

function errorDetails(addr: string, err: grpc.ServiceError): string {
  const details = err.details || err.message;
  if (/ECONNREFUSED/.test(details)) return `connection error: desc = "transport: Error while dialing: dial tcp ${addr}: connect: connection refused"`;
  return details;
}

export function grpcProbe(action: GRPCAction, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  let host: string;
  try {
    host = defaultHost(target);
  } catch (err) {
    return Promise.resolve({ result: 'unknown', message: (err as Error).message });
  }
  return checkHealth(host, action.port, action.service ?? '', timeoutMs, signal);
}

/** One Health/Check call to host:port for `service`. */
export function checkHealth(host: string, port: number, service: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const addr = joinHostPort(host, port);
  if (signal?.aborted) return Promise.resolve({ result: 'unknown', message: 'probe cancelled' });
  const client = new grpc.Client(addr, grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': `kube-probe/${KUBE_MINOR_VERSION}`,
    // A fresh connection per probe, as upstream dials one per probe.
    'grpc.use_local_subchannel_pool': 1,
  });
  return new Promise<ProbeResult>((resolve) => {
    const onAbort = () => call.cancel();
    const call = client.makeUnaryRequest(
      HEALTH_CHECK_PATH,
      (service: string) => encodeHealthCheckRequest(service),
      // Wrapped in an object: grpc-js treats a falsy message (status 0) as no message.
      (buf: Buffer) => ({ status: decodeHealthCheckResponse(buf) }),
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        client.close();
        if (err) {
          if (signal?.aborted) return resolve({ result: 'unknown', message: 'probe cancelled' });
          const code = GRPC_CODE_NAMES[err.code] ?? String(err.code);
          if (err.code === grpc.status.UNIMPLEMENTED) {
            return resolve({ result: 'failure', message: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}` });
          }
          if (err.code === grpc.status.DEADLINE_EXCEEDED) {
            return resolve({ result: 'failure', message: `timeout: health rpc did not complete within ${goDuration(timeoutMs)}` });
          }
          return resolve({ result: 'failure', message: `error: health rpc probe failed: rpc error: code = ${code} desc = ${errorDetails(addr, err)}` });
        }
        const s = response?.status ?? 0;
        if (s !== 1) return resolve({ result: 'failure', message: `service unhealthy (responded with ${JSON.stringify(SERVING_STATUS_NAMES[s] ?? String(s))})` });
        resolve({ result: 'success', message: 'service is serving' });
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
