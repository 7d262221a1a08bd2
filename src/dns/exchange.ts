// One query to one server over UDP or TCP, with a deadline: the transport under the forwarder and the tests' client.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { isIPv6 } from 'node:net';
import { HEADER_SIZE } from './constants.ts';
import { FrameReader, frame } from './framing.ts';

export interface ServerAddress {
  address: string;
  port: number;
}

export class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(
    message: string,
    readonly server: ServerAddress,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function formatServer(s: ServerAddress): string {
  return isIPv6(s.address) ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}

/** Where the question section of a query ends (the query must be well formed; see decodeMessage). */
export function questionEnd(query: Uint8Array): number {
  let pos = HEADER_SIZE;
  const count = (query[4]! << 8) | query[5]!;
  for (let i = 0; i < count; i++) {
    while (pos < query.length && query[pos] !== 0) {
      if ((query[pos]! & 0xc0) === 0xc0) {
        pos += 1;
        break;
      }
      pos += query[pos]! + 1;
    }
    pos += 5;
  }
  return Math.min(pos, query.length);
}

const lower = (b: number) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

/** Whether `response` answers `query`: same ID, the QR bit, and the same question (case-insensitively). */
export function answers(query: Uint8Array, response: Uint8Array): boolean {
  if (response.length < HEADER_SIZE || response[0] !== query[0] || response[1] !== query[1] || (response[2]! & 0x80) === 0) return false;
  const end = questionEnd(query);
  if (response.length < end || response[4] !== query[4] || response[5] !== query[5]) return false;
  for (let i = HEADER_SIZE; i < end; i++) if (lower(response[i]!) !== lower(query[i]!)) return false;
  return true;
}

function deadline(timeoutMs: number, signal: AbortSignal | undefined, onExpire: (reason: unknown) => void): () => void {
  const timer = setTimeout(() => onExpire(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => onExpire(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
}

/** Sends `query` over UDP from a fresh socket (a fresh source port each time) and waits for the matching answer. */
export function exchangeUdp(server: ServerAddress, query: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (err: unknown, response?: Uint8Array) => {
      if (done) return;
      done = true;
      clear();
      socket.close();
      if (response) resolve(response);
      else reject(new ExchangeError(`UDP query to ${formatServer(server)} failed`, server, { cause: err }));
    };
    const clear = deadline(timeoutMs, signal, (reason) => finish(reason));
    socket.on('error', (err) => finish(err));
    // Answers to other queries (or forged ones) are ignored; the connected socket only hears from `server`.
    socket.on('message', (msg) => {
      if (answers(query, msg)) finish(undefined, msg);
    });
    socket.connect(server.port, server.address, () => {
      socket.send(query, (err) => {
        if (err) finish(err);
      });
    });
  });
}

/** Sends `query` over a new TCP connection and waits for the matching answer. */
export function exchangeTcp(server: ServerAddress, query: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.address, port: server.port });
    const reader = new FrameReader();
    let done = false;
    const finish = (err: unknown, response?: Uint8Array) => {
      if (done) return;
      done = true;
      clear();
      socket.destroy();
      if (response) resolve(response);
      else reject(new ExchangeError(`TCP query to ${formatServer(server)} failed`, server, { cause: err }));
    };
    const clear = deadline(timeoutMs, signal, (reason) => finish(reason));
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('connection closed before an answer')));
    socket.on('connect', () => socket.write(frame(query)));
    socket.on('data', (chunk) => {
      for (const msg of reader.push(chunk)) if (answers(query, msg)) return finish(undefined, msg);
    });
  });
}
