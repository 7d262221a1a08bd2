// For tests and the benchmark: a fake upstream resolver on loopback, and a raw query client.
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { RRClass } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { exchangeTcp, exchangeUdp, type ServerAddress } from './exchange.ts';
import { FrameReader, frame } from './framing.ts';
import { emptyFlags, type DnsMessage, type Edns, type ResourceRecord } from './message.ts';

export interface FakeQuery {
  name: string;
  type: number;
  transport: 'udp' | 'tcp';
}

/** What the fake answers: records (NOERROR), an rcode with no records, or 'drop' to stay silent. */
export type FakeAnswer = { records: ResourceRecord[]; rcode?: number } | { rcode: number } | 'drop';

export interface FakeUpstream extends ServerAddress {
  /** Every query received, in order. */
  readonly queries: FakeQuery[];
  close(): Promise<void>;
}

/** A resolver on 127.0.0.1 (UDP and TCP on one port) answering from `answer`; UDP answers are cut to 512 bytes with TC. */
export async function startFakeUpstream(answer: (q: FakeQuery) => FakeAnswer): Promise<FakeUpstream> {
  const queries: FakeQuery[] = [];
  const respond = (packet: Buffer, transport: 'udp' | 'tcp'): Uint8Array | undefined => {
    let query: DnsMessage;
    try {
      query = decodeMessage(packet);
    } catch {
      return undefined;
    }
    const q = query.questions[0];
    if (!q) return undefined;
    const asked = { name: q.name, type: q.type, transport };
    queries.push(asked);
    const a = answer(asked);
    if (a === 'drop') return undefined;
    const reply: DnsMessage = {
      id: query.id,
      flags: { ...emptyFlags(), qr: true, rd: query.flags.rd, ra: true },
      rcode: a.rcode ?? 0,
      questions: query.questions,
      answers: 'records' in a ? a.records : [],
      authorities: [],
      additionals: [],
    };
    return encodeMessage(reply, transport === 'udp' ? { maxSize: 512 } : {});
  };
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = udp.address().port;
  udp.on('message', (packet, rinfo) => {
    const out = respond(packet, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      for (const packet of reader.push(chunk)) {
        const out = respond(packet, 'tcp');
        if (out) socket.write(frame(out));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    address: '127.0.0.1',
    port,
    queries,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

export interface RawQueryOptions {
  tcp?: boolean;
  /** Adds an OPT record advertising this UDP payload size. */
  edns?: number;
  timeoutMs?: number;
}

/** The wire form of a one-question query with RD set. */
export function encodeQuery(name: string, type: number, options: { edns?: number; id?: number } = {}): Uint8Array {
  const msg: DnsMessage = {
    id: options.id ?? randomInt(0x10000),
    flags: { ...emptyFlags(), rd: true },
    rcode: 0,
    questions: [{ name, type, class: RRClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (options.edns) msg.edns = { udpPayloadSize: options.edns, extendedRcode: 0, version: 0, dnssecOk: false, options: [] } satisfies Edns;
  return encodeMessage(msg);
}

/** Sends one query and decodes the answer (no retries, no TCP fallback: what you ask for is what you get). */
export async function rawQuery(server: ServerAddress, name: string, type: number, options: RawQueryOptions = {}): Promise<DnsMessage> {
  const packet = encodeQuery(name, type, options.edns ? { edns: options.edns } : {});
  const exchange = options.tcp ? exchangeTcp : exchangeUdp;
  return decodeMessage(await exchange(server, packet, options.timeoutMs ?? 5000));
}
