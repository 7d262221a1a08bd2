// Just enough DER (X.690) to write and inspect X.509 certificates.

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

export class DerError extends Error {
  override name = 'DerError';
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Uint8Array[]) => tlv(TAG.sequence, Buffer.concat(items));
export const set = (...items: Uint8Array[]) => tlv(TAG.set, Buffer.concat(items));
export const octetString = (bytes: Uint8Array) => tlv(TAG.octetString, bytes);
export const utf8String = (s: string) => tlv(TAG.utf8String, Buffer.from(s, 'utf8'));
export const ia5String = (s: string) => tlv(TAG.ia5String, Buffer.from(s, 'ascii'));
export const derNull = () => Buffer.from([TAG.null, 0]);
export const boolean = (value: boolean) => tlv(TAG.boolean, Buffer.from([value ? 0xff : 0]));
/** Context-specific constructed tag `[n]` wrapping already-encoded content (EXPLICIT tagging). */
export const explicit = (n: number, ...items: Uint8Array[]) => tlv(0xa0 | n, Buffer.concat(items));
/** Context-specific primitive tag `[n]` over raw bytes (IMPLICIT tagging of a primitive type). */
export const implicit = (n: number, bytes: Uint8Array) => tlv(0x80 | n, bytes);

/** A non-negative INTEGER from big-endian magnitude bytes, minimally encoded. */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let bytes = Buffer.from(magnitude.subarray(start));
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(TAG.integer, bytes);
}

export function smallInteger(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new DerError(`integer out of range: ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return unsignedInteger(Buffer.from(bytes));
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new DerError(`bad object identifier: ${dotted}`);
    return Number(a);
  });
  if (arcs.length < 2) throw new DerError(`bad object identifier: ${dotted}`);
  const out: number[] = [];
  const base128 = (v: number) => {
    const groups = [v & 0x7f];
    for (let rest = Math.floor(v / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80);
    out.push(...groups);
  };
  base128(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) base128(arc);
  return tlv(TAG.oid, Buffer.from(out));
}

export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  return tlv(TAG.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/** A named-bit BIT STRING (e.g. KeyUsage) with trailing zero bits removed, as DER requires. */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return bitString(bytes, 7 - (highest & 7));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 prescribes. Seconds precision. */
export function time(date: Date): Buffer {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const year = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(TAG.utcTime, Buffer.from(`${pad(year % 100)}${rest}`, 'ascii'));
  return tlv(TAG.generalizedTime, Buffer.from(`${pad(year, 4)}${rest}`, 'ascii'));
}

// ---- reading ----

export interface Element {
  tag: number;
  /** The whole element: tag, length and content. */
  raw: Buffer;
  content: Buffer;
}

export function read(buf: Buffer, offset = 0): Element {
  const tag = buf[offset];
  let lengthByte = buf[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new DerError('truncated DER element');
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let pos = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new DerError('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = buf[pos++];
      if (lengthByte === undefined) throw new DerError('truncated DER length');
      length = length * 256 + lengthByte;
    }
  }
  const end = pos + length;
  if (end > buf.length) throw new DerError('DER element runs past the end of its buffer');
  return { tag, raw: buf.subarray(offset, end), content: buf.subarray(pos, end) };
}

export function children(parent: Element): Element[] {
  const out: Element[] = [];
  for (let offset = 0; offset < parent.content.length; ) {
    const child = read(parent.content, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

export function decodeOid(content: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  return arcs.join('.');
}
