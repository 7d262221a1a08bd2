// Encoding DNS messages: name compression (RFC 1035 4.1.4) and, with a size limit, truncation that sets TC.
import { RRClass, RRType } from './constants.ts';
import { parseIPv4, parseIPv6 } from './ip.ts';
import { DnsFormatError, type DnsMessage, type Edns, type HeaderFlags, type ResourceRecord } from './message.ts';
import { labelToText, nameToLabels } from './names.ts';

const MAX_MESSAGE = 65535;
/** Printable ASCII without backslashes or empty labels: written label by label straight from the string. */
const PLAIN_NAME = /^(?:[!-\-/-[\]-~]+\.)*[!-\-/-[\]-~]*\.?$/;
/** Encoding is synchronous, so one scratch buffer serves every call; results are copied out of it. */
const scratch = Buffer.allocUnsafe(MAX_MESSAGE);

export interface EncodeOptions {
  /** Largest message to produce (e.g. the client's UDP payload size); records that do not fit are left out. */
  maxSize?: number;
  /** Default true. */
  compress?: boolean;
}

/** Thrown (as a plain object: no stack to capture) when a record does not fit. */
const OVERFLOW = { overflow: true } as const;

class Writer {
  offset = 0;
  readonly names = new Map<string, number>();
  constructor(
    public limit: number,
    readonly compress: boolean,
  ) {}

  room(n: number): void {
    if (this.offset + n > this.limit) throw OVERFLOW;
  }
  u8(v: number): void {
    this.room(1);
    scratch[this.offset++] = v;
  }
  u16(v: number): void {
    this.room(2);
    scratch.writeUInt16BE(v & 0xffff, this.offset);
    this.offset += 2;
  }
  u32(v: number): void {
    this.room(4);
    scratch.writeUInt32BE(v >>> 0, this.offset);
    this.offset += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    scratch.set(b, this.offset);
    this.offset += b.length;
  }

  name(name: string, allowPointer: boolean): void {
    if (PLAIN_NAME.test(name)) this.#plainName(name, allowPointer);
    else this.#escapedName(name, allowPointer);
  }

  /** The common case (printable ASCII, no escapes): suffixes are substrings, no label arrays. */
  #plainName(name: string, allowPointer: boolean): void {
    const full = name.endsWith('.') ? name.slice(0, -1) : name;
    if (full === '') return this.u8(0);
    if (full.length > 253) throw new DnsFormatError(`name longer than 255 bytes: ${JSON.stringify(name)}`);
    const lower = this.compress ? full.toLowerCase() : full;
    let start = 0;
    while (start < full.length) {
      if (this.compress) {
        const key = start === 0 ? lower : lower.slice(start);
        const at = this.names.get(key);
        if (at !== undefined && allowPointer) return this.u16(0xc000 | at);
        if (at === undefined && this.offset < 0x4000) this.names.set(key, this.offset);
      }
      let end = full.indexOf('.', start);
      if (end < 0) end = full.length;
      const length = end - start;
      if (length === 0 || length > 63) throw new DnsFormatError(`bad label in name ${JSON.stringify(name)}`);
      this.room(length + 1);
      scratch[this.offset] = length;
      for (let i = 0; i < length; i++) scratch[this.offset + 1 + i] = full.charCodeAt(start + i);
      this.offset += length + 1;
      start = end + 1;
    }
    this.u8(0);
  }

  #escapedName(name: string, allowPointer: boolean): void {
    const labels = nameToLabels(name);
    const keys = this.compress ? suffixKeys(labels) : [];
    for (let i = 0; i < labels.length; i++) {
      if (this.compress) {
        const key = keys[i]!;
        const at = this.names.get(key);
        if (at !== undefined && allowPointer) {
          this.u16(0xc000 | at);
          return;
        }
        if (at === undefined && this.offset < 0x4000) this.names.set(key, this.offset);
      }
      const label = labels[i]!;
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  /** Forgets compression targets at or after `offset` (after a record there was rolled back). */
  rollback(offset: number): void {
    this.offset = offset;
    for (const [key, at] of this.names) if (at >= offset) this.names.delete(key);
  }
}

function suffixKeys(labels: Uint8Array[]): string[] {
  const texts = labels.map((l) => labelToText(l).toLowerCase());
  const keys = new Array<string>(texts.length);
  let acc = '';
  for (let i = texts.length - 1; i >= 0; i--) {
    acc = acc === '' ? texts[i]! : `${texts[i]}.${acc}`;
    keys[i] = acc;
  }
  return keys;
}

function flagWord(f: HeaderFlags, rcode: number): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.ad ? 0x0020 : 0) |
    (f.cd ? 0x0010 : 0) |
    (rcode & 0xf)
  );
}

function optSize(edns: Edns): number {
  return 11 + edns.options.reduce((n, o) => n + 4 + o.data.length, 0);
}

/**
 * The wire form of `msg`. With `maxSize`, answer and authority records that do not fit are dropped and TC is set;
 * additional records that do not fit are dropped without TC (RFC 2181 9). The OPT record is always kept.
 */
export function encodeMessage(msg: DnsMessage, options: EncodeOptions = {}): Uint8Array {
  const limit = Math.min(options.maxSize ?? MAX_MESSAGE, MAX_MESSAGE);
  const reserve = msg.edns ? optSize(msg.edns) : 0;
  const w = new Writer(limit - reserve, options.compress ?? true);
  let truncated = msg.flags.tc;
  const counts = [0, 0, 0, msg.edns ? 1 : 0];
  try {
    w.u16(msg.id);
    w.u16(0); // flags, written last
    w.u32(0);
    w.u32(0);
    for (const q of msg.questions) {
      w.name(q.name, true);
      w.u16(q.type);
      w.u16(q.class);
      counts[0]!++;
    }
  } catch (err) {
    if (err === OVERFLOW) throw new DnsFormatError(`the question does not fit in ${limit} bytes`);
    throw err;
  }
  const sections = [msg.answers, msg.authorities, msg.additionals] as const;
  sections: for (let s = 0; s < 3; s++) {
    for (const rr of sections[s]!) {
      const start = w.offset;
      try {
        writeRecord(w, rr);
        counts[s + 1]!++;
      } catch (err) {
        if (err !== OVERFLOW) throw err;
        w.rollback(start);
        if (s < 2) truncated = true;
        break sections;
      }
    }
  }
  if (msg.edns) {
    w.limit = limit;
    writeOpt(w, msg.edns, msg.rcode);
  }
  const flags = { ...msg.flags, tc: truncated };
  scratch.writeUInt16BE(flagWord(flags, msg.rcode), 2);
  for (let i = 0; i < 4; i++) scratch.writeUInt16BE(counts[i]!, 4 + i * 2);
  return Buffer.from(scratch.subarray(0, w.offset));
}

function writeOpt(w: Writer, edns: Edns, rcode: number): void {
  w.u8(0);
  w.u16(RRType.OPT);
  w.u16(edns.udpPayloadSize);
  const extended = rcode > 0xf ? rcode >> 4 : edns.extendedRcode;
  w.u32(((extended & 0xff) << 24) | ((edns.version & 0xff) << 16) | (edns.dnssecOk ? 0x8000 : 0));
  w.u16(optSize(edns) - 11);
  for (const o of edns.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

const TYPE_CODES: Record<Exclude<ResourceRecord['type'], 'UNKNOWN'>, number> = {
  A: RRType.A,
  AAAA: RRType.AAAA,
  CNAME: RRType.CNAME,
  NS: RRType.NS,
  PTR: RRType.PTR,
  SRV: RRType.SRV,
  MX: RRType.MX,
  TXT: RRType.TXT,
  SOA: RRType.SOA,
};

export function typeCode(rr: ResourceRecord): number {
  return rr.type === 'UNKNOWN' ? rr.code : TYPE_CODES[rr.type];
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(typeCode(rr));
  w.u16(rr.class ?? RRClass.IN);
  w.u32(rr.ttl);
  const lengthAt = w.offset;
  w.u16(0);
  switch (rr.type) {
    case 'A': {
      const ip = parseIPv4(rr.address);
      if (!ip) throw new DnsFormatError(`A record for ${rr.name} with address ${JSON.stringify(rr.address)}`);
      w.bytes(ip);
      break;
    }
    case 'AAAA': {
      const ip = parseIPv6(rr.address);
      if (!ip) throw new DnsFormatError(`AAAA record for ${rr.name} with address ${JSON.stringify(rr.address)}`);
      w.bytes(ip);
      break;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      w.name(rr.target, true);
      break;
    case 'MX':
      w.u16(rr.preference);
      w.name(rr.exchange, true);
      break;
    case 'SRV':
      w.u16(rr.priority);
      w.u16(rr.weight);
      w.u16(rr.port);
      w.name(rr.target, false); // RFC 2782: no compression in the target
      break;
    case 'SOA':
      w.name(rr.mname, true);
      w.name(rr.rname, true);
      for (const v of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) w.u32(v);
      break;
    case 'TXT':
      for (const text of rr.texts.length ? rr.texts : ['']) {
        const bytes = Buffer.from(text, 'utf8');
        // A string longer than 255 bytes goes out as several character-strings.
        for (let i = 0; i === 0 || i < bytes.length; i += 255) {
          const chunk = bytes.subarray(i, i + 255);
          w.u8(chunk.length);
          w.bytes(chunk);
        }
      }
      break;
    case 'UNKNOWN':
      w.bytes(rr.rdata);
      break;
  }
  scratch.writeUInt16BE(w.offset - lengthAt - 2, lengthAt);
}
