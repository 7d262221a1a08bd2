// Decoding DNS messages from the wire. Every malformation is a DnsFormatError, never a RangeError or a crash.
import { HEADER_SIZE, RRType } from './constants.ts';
import { formatIPv4, formatIPv6 } from './ip.ts';
import { DnsFormatError, type DnsMessage, type Edns, type HeaderFlags, type Question, type ResourceRecord } from './message.ts';
import { labelToText, MAX_NAME_WIRE } from './names.ts';

const MAX_POINTER_JUMPS = 64;

class Reader {
  offset = 0;
  constructor(readonly buf: Uint8Array) {}

  need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DnsFormatError(`message truncated at byte ${this.offset}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.buf[this.offset]! << 8) | this.buf[this.offset + 1]!;
    this.offset += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const b = this.buf;
    const o = this.offset;
    this.offset += 4;
    return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return out;
  }

  /** A possibly compressed name; pointers may only point backwards, so loops are impossible. */
  name(): string {
    const labels: string[] = [];
    let pos = this.offset;
    let end = -1;
    let wire = 1;
    let jumps = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new DnsFormatError(`name runs past the end of the message at byte ${pos}`);
      const len = this.buf[pos]!;
      if (len === 0) {
        pos += 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsFormatError(`compression pointer truncated at byte ${pos}`);
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= pos || ++jumps > MAX_POINTER_JUMPS) throw new DnsFormatError(`bad compression pointer at byte ${pos}`);
        if (end < 0) end = pos + 2;
        pos = target;
        continue;
      }
      if (kind !== 0) throw new DnsFormatError(`unsupported label type 0x${kind.toString(16)} at byte ${pos}`);
      if (pos + 1 + len > this.buf.length) throw new DnsFormatError(`label runs past the end of the message at byte ${pos}`);
      wire += len + 1;
      if (wire > MAX_NAME_WIRE) throw new DnsFormatError(`name longer than ${MAX_NAME_WIRE} bytes at byte ${this.offset}`);
      labels.push(labelToText(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    this.offset = end >= 0 ? end : pos;
    return labels.join('.');
  }
}

function decodeFlags(word: number): HeaderFlags {
  return {
    qr: (word & 0x8000) !== 0,
    opcode: (word >> 11) & 0xf,
    aa: (word & 0x0400) !== 0,
    tc: (word & 0x0200) !== 0,
    rd: (word & 0x0100) !== 0,
    ra: (word & 0x0080) !== 0,
    ad: (word & 0x0020) !== 0,
    cd: (word & 0x0010) !== 0,
  };
}

export function decodeMessage(buf: Uint8Array): DnsMessage {
  if (buf.length < HEADER_SIZE) throw new DnsFormatError(`message of ${buf.length} bytes is shorter than a header`);
  const r = new Reader(buf);
  const id = r.u16();
  const flagWord = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  // Each question takes at least 5 bytes and each record 11: reject impossible counts before allocating.
  if (counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11 > buf.length - HEADER_SIZE) {
    throw new DnsFormatError('section counts exceed the message size');
  }
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const answers = readRecords(r, counts[1]);
  const authorities = readRecords(r, counts[2]);
  const additionals: ResourceRecord[] = [];
  let edns: Edns | undefined;
  for (let i = 0; i < counts[3]; i++) {
    const rr = readRecord(r);
    if ('opt' in rr) {
      if (edns) throw new DnsFormatError('more than one OPT record');
      edns = rr.opt;
    } else {
      additionals.push(rr);
    }
  }
  const message: DnsMessage = {
    id,
    flags: decodeFlags(flagWord),
    rcode: (flagWord & 0xf) | ((edns?.extendedRcode ?? 0) << 4),
    questions,
    answers,
    authorities,
    additionals,
  };
  if (edns) message.edns = edns;
  return message;
}

function readRecords(r: Reader, count: number): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const rr = readRecord(r);
    if ('opt' in rr) throw new DnsFormatError('OPT record outside the additional section');
    out.push(rr);
  }
  return out;
}

function readRecord(r: Reader): ResourceRecord | { opt: Edns } {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttlOffset = r.offset;
  const ttl = r.u32();
  const length = r.u16();
  r.need(length);
  const end = r.offset + length;
  if (type === RRType.OPT) {
    if (name !== '') throw new DnsFormatError('OPT record with a name other than the root');
    const options: Edns['options'] = [];
    while (r.offset < end) {
      const code = r.u16();
      const len = r.u16();
      if (r.offset + len > end) throw new DnsFormatError('EDNS option runs past its record');
      options.push({ code, data: r.bytes(len) });
    }
    return { opt: { udpPayloadSize: cls, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options } };
  }
  const base = { name, class: cls, ttl, ttlOffset };
  let rr: ResourceRecord;
  switch (type) {
    case RRType.A:
      if (length !== 4) throw new DnsFormatError(`A record with ${length} bytes of data`);
      rr = { ...base, type: 'A', address: formatIPv4(r.bytes(4)) };
      break;
    case RRType.AAAA:
      if (length !== 16) throw new DnsFormatError(`AAAA record with ${length} bytes of data`);
      rr = { ...base, type: 'AAAA', address: formatIPv6(r.bytes(16)) };
      break;
    case RRType.CNAME:
    case RRType.NS:
    case RRType.PTR:
      rr = { ...base, type: type === RRType.CNAME ? 'CNAME' : type === RRType.NS ? 'NS' : 'PTR', target: r.name() };
      break;
    case RRType.MX:
      rr = { ...base, type: 'MX', preference: r.u16(), exchange: r.name() };
      break;
    case RRType.SRV:
      rr = { ...base, type: 'SRV', priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case RRType.SOA:
      rr = { ...base, type: 'SOA', mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      break;
    case RRType.TXT: {
      const texts: string[] = [];
      while (r.offset < end) {
        const len = r.u8();
        if (r.offset + len > end) throw new DnsFormatError('TXT string runs past its record');
        texts.push(Buffer.from(r.bytes(len)).toString('utf8'));
      }
      rr = { ...base, type: 'TXT', texts };
      break;
    }
    default:
      rr = { ...base, type: 'UNKNOWN', code: type, rdata: r.bytes(length) };
  }
  if (r.offset !== end) throw new DnsFormatError(`record data of ${name || '.'} does not match its length`);
  return rr;
}
