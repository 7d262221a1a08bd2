// Decodes Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf) into the JSON
// object Go's JSON encoder would have produced for the same Go value.
//
// Wire form: the 4-byte magic "k8s\0", then a runtime.Unknown message
// {1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType} whose `raw` is the
// object's own message. The reader is driven by Skiff's schema (src/api/schema.ts).
//
// Go's JSON rules the output follows: fields in declaration order; a nil pointer is left out; a set
// pointer is written even when it points at a zero value; a non-pointer scalar is written unless it is
// zero and the field has omitempty; empty lists, maps and []byte are left out (proto cannot tell nil
// from empty); a non-pointer struct is always written ({} when empty), except for types with their own
// JSON form: a zero Time/MicroTime (Go writes null) and an empty RawExtension/FieldsV1 are left out,
// a zero Quantity is "0", a zero IntOrString 0, a zero Duration "0s".
import type { KObject } from '../api/types.ts';
import { isListRef, isMapRef, parseAPIVersion, schemaType, typeForGVK } from '../api/schema.ts';
import type { FieldSchema, TypeRef, TypeSchema } from '../api/schema.ts';

export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export interface UnknownEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** Decodes a whole body: magic, Unknown, then the object its apiVersion/kind name. */
export function decodeKubernetesProtobuf(body: Uint8Array): { apiVersion: string; kind: string; object: KObject } {
  const env = decodeUnknownEnvelope(body);
  const typeName = typeForEnvelope(env);
  const object = withTypeMeta(env, decodeMessage(typeName, env.raw));
  return { apiVersion: env.apiVersion, kind: env.kind, object };
}

/**
 * Decodes a body as the given type. The body may carry the magic and Unknown envelope (then
 * apiVersion/kind come from it) or be the bare message.
 */
export function decodeProtobufAs(typeName: string, body: Uint8Array): KObject {
  if (!schemaType(typeName)) throw new ProtobufDecodeError(`no schema for type ${typeName}`);
  if (hasMagic(body)) {
    const env = decodeUnknownEnvelope(body);
    return withTypeMeta(env, decodeMessage(typeName, env.raw));
  }
  return decodeMessage(typeName, body);
}

/** Checks the magic and reads the runtime.Unknown envelope. */
export function decodeUnknownEnvelope(body: Uint8Array): UnknownEnvelope {
  if (body.length === 0) throw new ProtobufDecodeError('empty data');
  if (!hasMagic(body)) {
    throw new ProtobufDecodeError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  if (body.length === PROTOBUF_MAGIC.length) throw new ProtobufDecodeError('empty body');
  const env: UnknownEnvelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '', contentType: '' };
  const r = new WireReader(body.subarray(PROTOBUF_MAGIC.length));
  while (!r.done()) {
    const [num, wire] = r.tag('Unknown');
    if (num >= 1 && num <= 4 && wire !== WIRE_LEN) throw wrongWire(wire, ['typeMeta', 'raw', 'contentEncoding', 'contentType'][num - 1]!);
    switch (num) {
      case 1: {
        const tm = new WireReader(r.bytes());
        while (!tm.done()) {
          const [n, w] = tm.tag('TypeMeta');
          if ((n === 1 || n === 2) && w !== WIRE_LEN) throw wrongWire(w, n === 1 ? 'APIVersion' : 'Kind');
          if (n === 1) env.apiVersion = utf8(tm.bytes());
          else if (n === 2) env.kind = utf8(tm.bytes());
          else tm.skip(w);
        }
        break;
      }
      case 2:
        env.raw = r.bytes();
        break;
      case 3:
        env.contentEncoding = utf8(r.bytes());
        break;
      case 4:
        env.contentType = utf8(r.bytes());
        break;
      default:
        r.skip(wire);
    }
  }
  if (env.contentEncoding !== '') throw new ProtobufDecodeError(`unsupported content encoding ${JSON.stringify(env.contentEncoding)}`);
  return env;
}

function hasMagic(body: Uint8Array): boolean {
  return body.length >= PROTOBUF_MAGIC.length && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

function typeForEnvelope(env: UnknownEnvelope): string {
  const typeMeta = `runtime.TypeMeta{APIVersion:${JSON.stringify(env.apiVersion)}, Kind:${JSON.stringify(env.kind)}}`;
  if (env.kind === '') throw new ProtobufDecodeError(`Object 'Kind' is missing in '${typeMeta}'`);
  if (env.apiVersion === '') throw new ProtobufDecodeError(`Object 'apiVersion' is missing in '${typeMeta}'`);
  const [group, version] = parseAPIVersion(env.apiVersion);
  const typeName = typeForGVK(group, version, env.kind);
  if (!typeName) {
    throw new ProtobufDecodeError(`no kind ${JSON.stringify(env.kind)} is registered for version ${JSON.stringify(env.apiVersion)} in scheme "skiff"`);
  }
  return typeName;
}

/** Go writes TypeMeta first: kind, then apiVersion. */
function withTypeMeta(env: UnknownEnvelope, obj: KObject): KObject {
  const { kind: _k, apiVersion: _a, ...rest } = obj;
  const out: KObject = {};
  if (env.kind) out.kind = env.kind;
  if (env.apiVersion) out.apiVersion = env.apiVersion;
  return Object.assign(out, rest);
}

// ---------------------------------------------------------------- wire reading

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
const MAX_DEPTH = 256;
const TWO_32 = 4294967296;

class WireReader {
  #buf: Uint8Array;
  #pos = 0;
  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }
  done(): boolean {
    return this.#pos >= this.#buf.length;
  }
  /** Reads a varint as two 32-bit halves [lo, hi]. */
  varint(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#buf.length) throw new ProtobufDecodeError('unexpected EOF');
      const b = this.#buf[this.#pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new ProtobufDecodeError('proto: integer overflow');
  }
  tag(message: string): [num: number, wire: number] {
    const [lo, hi] = this.varint();
    const wire = lo & 7;
    const num = (lo >>> 3) + hi * 2 ** 29;
    if (num <= 0) throw new ProtobufDecodeError(`proto: ${message}: illegal tag ${num} (wire type ${wire})`);
    if (wire === 3 || wire === 4 || wire > 5) throw new ProtobufDecodeError(`proto: ${message}: illegal wireType ${wire}`);
    return [num, wire];
  }
  bytes(): Uint8Array {
    const [lo, hi] = this.varint();
    if (hi !== 0 || lo > 0x7fffffff) throw new ProtobufDecodeError('proto: negative length found during unmarshaling');
    const end = this.#pos + lo;
    if (end > this.#buf.length) throw new ProtobufDecodeError('unexpected EOF');
    const out = this.#buf.subarray(this.#pos, end);
    this.#pos = end;
    return out;
  }
  fixed(n: 4 | 8): Uint8Array {
    const end = this.#pos + n;
    if (end > this.#buf.length) throw new ProtobufDecodeError('unexpected EOF');
    const out = this.#buf.subarray(this.#pos, end);
    this.#pos = end;
    return out;
  }
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.fixed(8);
    else if (wire === WIRE_LEN) this.bytes();
    else if (wire === WIRE_FIXED32) this.fixed(4);
    else throw new ProtobufDecodeError(`proto: illegal wireType ${wire}`);
  }
}

/** One occurrence of a field on the wire. */
type Occurrence = { wire: 0; lo: number; hi: number } | { wire: 1 | 5; data: Uint8Array } | { wire: 2; data: Uint8Array };

function readOccurrences(buf: Uint8Array, message: string): Map<number, Occurrence[]> {
  const out = new Map<number, Occurrence[]>();
  const r = new WireReader(buf);
  while (!r.done()) {
    const [num, wire] = r.tag(message);
    let occ: Occurrence;
    if (wire === WIRE_VARINT) {
      const [lo, hi] = r.varint();
      occ = { wire: 0, lo, hi };
    } else if (wire === WIRE_LEN) occ = { wire: 2, data: r.bytes() };
    else if (wire === WIRE_FIXED64) occ = { wire: 1, data: r.fixed(8) };
    else occ = { wire: 5, data: r.fixed(4) };
    const list = out.get(num);
    if (list) list.push(occ);
    else out.set(num, [occ]);
  }
  return out;
}

const decoder = new TextDecoder('utf-8');
function utf8(b: Uint8Array): string {
  return decoder.decode(b);
}

function wrongWire(wire: number, field: string): ProtobufDecodeError {
  return new ProtobufDecodeError(`proto: wrong wireType = ${wire} for field ${field}`);
}

/** Concatenates the occurrences of an embedded message (protobuf merges them). */
function messageBytes(occs: readonly Occurrence[], field: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const o of occs) {
    if (o.wire !== WIRE_LEN) throw wrongWire(o.wire, field);
    parts.push(o.data);
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- schema-driven decoding

function decodeMessage(typeName: string, buf: Uint8Array, depth = 0): KObject {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError(`protobuf message nested deeper than ${MAX_DEPTH}`);
  const t = schemaType(typeName);
  if (!t) throw new ProtobufDecodeError(`no schema for type ${typeName}`);
  const occs = readOccurrences(buf, shortName(typeName));
  const out: KObject = {};
  writeFields(t, occs, out, depth);
  return out;
}

const fieldEntries = new WeakMap<TypeSchema, Array<[string, FieldSchema]>>();

function writeFields(t: TypeSchema, occs: Map<number, Occurrence[]>, out: KObject, depth: number): void {
  let entries = fieldEntries.get(t);
  if (!entries) fieldEntries.set(t, (entries = Object.entries(t.fields)));
  for (const [name, f] of entries) {
    if (f.inline) {
      if (f.proto === undefined || typeof f.type !== 'string') continue; // TypeMeta: not on the wire
      const inner = schemaType(f.type);
      if (!inner) throw new ProtobufDecodeError(`no schema for type ${f.type}`);
      const found = occs.get(f.proto);
      const innerOccs = found ? readOccurrences(messageBytes(found, name), shortName(f.type)) : new Map<number, Occurrence[]>();
      writeFields(inner, innerOccs, out, depth + 1);
      continue;
    }
    const found = f.proto === undefined ? undefined : occs.get(f.proto);
    const value = fieldValue(f, name, found, depth);
    if (value !== undefined) out[name] = value;
  }
}

/** The JSON value of one field, or undefined when Go's JSON would leave it out. */
function fieldValue(f: FieldSchema, name: string, occs: Occurrence[] | undefined, depth: number): unknown {
  const ref = f.type;
  if (isListRef(ref)) {
    if (!occs) return undefined;
    const items = ref.wrapped ? wrappedItems(ref.list, occs, name, depth) : listItems(ref.list, occs, name, depth);
    return items.length === 0 ? undefined : items;
  }
  if (isMapRef(ref)) {
    if (!occs) return undefined;
    const m = mapEntries(ref.map, occs, name, depth);
    return Object.keys(m).length === 0 ? undefined : m;
  }
  if (!occs) {
    if (f.ptr) return undefined;
    return zeroJSON(ref, f, depth);
  }
  const v = singleValue(ref, occs, name, depth);
  if (v === undefined) return undefined;
  if (!f.ptr && f.omitempty && isZeroScalar(ref, v)) return undefined;
  return v;
}

/** Go's JSON for a non-pointer field that is not on the wire. */
function zeroJSON(ref: TypeRef, f: FieldSchema, depth: number): unknown {
  switch (ref) {
    case 'string':
      return f.omitempty ? undefined : '';
    case 'int32':
    case 'int64':
    case 'double':
      return f.omitempty ? undefined : 0;
    case 'bool':
      return f.omitempty ? undefined : false;
    case 'bytes':
    case 'time':
    case 'microtime':
    case 'raw':
    case 'fieldsV1':
      return undefined;
    case 'quantity':
      return '0';
    case 'int-or-string':
      return 0;
    case 'duration':
      return '0s';
    default:
      return decodeStruct(ref as string, new Uint8Array(0), depth + 1);
  }
}

function isZeroScalar(ref: TypeRef, v: unknown): boolean {
  switch (ref) {
    case 'string':
    case 'bytes':
      return v === '';
    case 'int32':
    case 'int64':
    case 'double':
      return v === 0;
    case 'bool':
      return v === false;
    default:
      return false; // structs and special types are never dropped for omitempty
  }
}

type WireScalar = 'string' | 'int32' | 'int64' | 'bool' | 'double' | 'bytes';
const WIRE_SCALARS: ReadonlySet<string> = new Set<WireScalar>(['string', 'int32', 'int64', 'bool', 'double', 'bytes']);
function isWireScalar(ref: TypeRef): ref is WireScalar {
  return typeof ref === 'string' && WIRE_SCALARS.has(ref);
}

/** Value of a singular field: the last occurrence wins for scalars; messages merge. */
function singleValue(ref: TypeRef, occs: Occurrence[], name: string, depth: number): unknown {
  if (isWireScalar(ref)) return scalarValue(ref, occs[occs.length - 1]!, name);
  return messageValue(ref as string, messageBytes(occs, name), name, depth);
}

function scalarValue(ref: WireScalar, o: Occurrence, name: string): unknown {
  switch (ref) {
    case 'string':
      if (o.wire !== WIRE_LEN) throw wrongWire(o.wire, name);
      return utf8(o.data);
    case 'bytes':
      if (o.wire !== WIRE_LEN) throw wrongWire(o.wire, name);
      return Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength).toString('base64');
    case 'int32':
      if (o.wire !== WIRE_VARINT) throw wrongWire(o.wire, name);
      return o.lo | 0;
    case 'int64':
      if (o.wire !== WIRE_VARINT) throw wrongWire(o.wire, name);
      return int64(o.lo, o.hi);
    case 'bool':
      if (o.wire !== WIRE_VARINT) throw wrongWire(o.wire, name);
      return o.lo !== 0 || o.hi !== 0;
    case 'double':
      if (o.wire !== WIRE_FIXED64) throw wrongWire(o.wire, name);
      return new DataView(o.data.buffer, o.data.byteOffset, 8).getFloat64(0, true);
  }
}

function int64(lo: number, hi: number): number {
  return (hi | 0) * TWO_32 + lo;
}

/** A message-typed value (struct or special type); undefined when Go's JSON writes null. */
function messageValue(ref: string, buf: Uint8Array, name: string, depth: number): unknown {
  switch (ref) {
    case 'time':
    case 'microtime':
      return timeValue(buf, ref === 'microtime', name);
    case 'duration': {
      const occs = readOccurrences(buf, 'Duration');
      const d = occs.get(1);
      const o = d?.[d.length - 1];
      if (o && o.wire !== WIRE_VARINT) throw wrongWire(o.wire, 'Duration');
      return goDuration(o ? BigInt.asIntN(64, (BigInt(o.hi) << 32n) | BigInt(o.lo)) : 0n);
    }
    case 'quantity': {
      const s = lastString(readOccurrences(buf, 'Quantity'), 1, 'String_');
      return s === '' ? '0' : s;
    }
    case 'int-or-string': {
      const occs = readOccurrences(buf, 'IntOrString');
      const type = lastVarint(occs, 1, 'Type');
      if (type === 1) return lastString(occs, 3, 'StrVal');
      return lastVarint(occs, 2, 'IntVal') | 0;
    }
    case 'raw':
    case 'fieldsV1': {
      const occs = readOccurrences(buf, ref === 'raw' ? 'RawExtension' : 'FieldsV1');
      const raw = occs.get(1);
      if (!raw) return undefined;
      const bytes = messageBytesLast(raw, 'Raw');
      if (bytes.length === 0) return undefined;
      try {
        return JSON.parse(utf8(bytes));
      } catch (err) {
        throw new ProtobufDecodeError(`field ${name}: embedded raw data is not JSON`, { cause: err });
      }
    }
    default:
      return decodeStruct(ref, buf, depth + 1);
  }
}

function decodeStruct(typeName: string, buf: Uint8Array, depth: number): unknown {
  const obj = decodeMessage(typeName, buf, depth);
  const t = schemaType(typeName)!;
  return t.json ? customJSON(t.json, obj) : obj;
}

/** apiextensions' JSONSchemaPropsOr* types write a schema, a list or a bool. */
function customJSON(form: NonNullable<TypeSchema['json']>, obj: KObject): unknown {
  switch (form) {
    case 'schemaOrBool':
      if (obj.Schema !== undefined) return obj.Schema;
      return obj.Allows === true;
    case 'schemaOrArray':
      if (Array.isArray(obj.JSONSchemas) && obj.JSONSchemas.length > 0) return obj.JSONSchemas;
      return obj.Schema;
    case 'schemaOrStringArray':
      if (Array.isArray(obj.Property) && obj.Property.length > 0) return obj.Property;
      return obj.Schema;
  }
}

function messageBytesLast(occs: Occurrence[], field: string): Uint8Array {
  const o = occs[occs.length - 1]!;
  if (o.wire !== WIRE_LEN) throw wrongWire(o.wire, field);
  return o.data;
}

function lastString(occs: Map<number, Occurrence[]>, num: number, field: string): string {
  const list = occs.get(num);
  return list ? utf8(messageBytesLast(list, field)) : '';
}

function lastVarint(occs: Map<number, Occurrence[]>, num: number, field: string): number {
  const list = occs.get(num);
  if (!list) return 0;
  const o = list[list.length - 1]!;
  if (o.wire !== WIRE_VARINT) throw wrongWire(o.wire, field);
  return int64(o.lo, o.hi);
}

/** Zero Go time (0001-01-01T00:00:00Z) in Unix seconds. */
const GO_ZERO_TIME_SECONDS = -62135596800;

function timeValue(buf: Uint8Array, micro: boolean, name: string): string | undefined {
  if (buf.length === 0) return undefined; // gogo writes a zero Time as an empty message
  const occs = readOccurrences(buf, 'Timestamp');
  const seconds = lastVarint(occs, 1, 'Seconds');
  const nanos = lastVarint(occs, 2, 'Nanos') | 0;
  if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return undefined;
  const ms = seconds * 1000;
  const d = new Date(ms);
  // Go's Time.MarshalJSON refuses years outside [0,9999].
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 0 || d.getUTCFullYear() > 9999) {
    throw new ProtobufDecodeError(`field ${name}: Time.MarshalJSON: year outside of range [0,9999]`);
  }
  const base = d.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  // metav1.Time keeps whole seconds; MicroTime keeps microseconds.
  return micro ? `${base}.${String(Math.floor(Math.max(0, nanos) / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** Go's time.Duration.String(). */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    // Sub-second: ns, µs or ms with a fraction.
    const [unit, div] = u < 1000n ? ['ns', 1n] : u < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
    out = fraction(u, div) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = fraction(u, 1_000_000_000n) + 's';
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return neg ? '-' + out : out;
}

function fraction(v: bigint, div: bigint): string {
  const whole = v / div;
  const rest = v % div;
  if (rest === 0n) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Elements of a repeated field. Scalars may arrive packed or one per occurrence. */
function listItems(elem: TypeRef, occs: Occurrence[], name: string, depth: number): unknown[] {
  const out: unknown[] = [];
  for (const o of occs) {
    if (isWireScalar(elem) && elem !== 'string' && elem !== 'bytes' && o.wire === WIRE_LEN) {
      const r = new WireReader(o.data);
      while (!r.done()) {
        if (elem === 'double') out.push(scalarValue(elem, { wire: 1, data: r.fixed(8) }, name));
        else {
          const [lo, hi] = r.varint();
          out.push(scalarValue(elem, { wire: 0, lo, hi }, name));
        }
      }
      continue;
    }
    out.push(elementValue(elem, o, name, depth));
  }
  return out;
}

/** One list element or map value. Elements are always written, zero or not. */
function elementValue(elem: TypeRef, o: Occurrence, name: string, depth: number): unknown {
  if (typeof elem === 'object') {
    // Lists of lists / maps do not occur in the built-in types except through wrappers.
    if (o.wire !== WIRE_LEN) throw wrongWire(o.wire, name);
    if (isListRef(elem) && elem.wrapped) return wrappedItems(elem.list, [o], name, depth);
    throw new ProtobufDecodeError(`field ${name}: unsupported nested collection`);
  }
  if (isWireScalar(elem)) return scalarValue(elem, o, name);
  if (o.wire !== WIRE_LEN) throw wrongWire(o.wire, name);
  const v = messageValue(elem, o.data, name, depth);
  return v === undefined ? null : v;
}

/** gogo's nullable named slices: a message whose field 1 repeats the items. */
function wrappedItems(elem: TypeRef, occs: Occurrence[], name: string, depth: number): unknown[] {
  const inner = readOccurrences(messageBytes(occs, name), name);
  const items = inner.get(1);
  return items ? listItems(elem, items, name, depth) : [];
}

/** Map entries {1: key, 2: value}; a missing value is the value type's zero. */
function mapEntries(valueRef: TypeRef, occs: Occurrence[], name: string, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of occs) {
    if (o.wire !== WIRE_LEN) throw wrongWire(o.wire, name);
    const entry = readOccurrences(o.data, `${name} entry`);
    const key = lastString(entry, 1, 'key');
    const vals = entry.get(2);
    let value: unknown;
    if (vals) {
      value = isListRef(valueRef) && valueRef.wrapped
        ? wrappedItems(valueRef.list, vals, name, depth)
        : elementValue(valueRef, vals[vals.length - 1]!, name, depth);
    } else {
      value = zeroElement(valueRef, depth);
    }
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function zeroElement(ref: TypeRef, depth: number): unknown {
  if (typeof ref === 'object') return isListRef(ref) ? [] : {};
  switch (ref) {
    case 'string':
    case 'bytes':
      return '';
    case 'int32':
    case 'int64':
    case 'double':
      return 0;
    case 'bool':
      return false;
    case 'quantity':
      return '0';
    case 'int-or-string':
      return 0;
    case 'duration':
      return '0s';
    case 'time':
    case 'microtime':
    case 'raw':
    case 'fieldsV1':
      return null;
    default:
      return decodeStruct(ref, new Uint8Array(0), depth + 1);
  }
}

function shortName(fq: string): string {
  return fq.slice(fq.lastIndexOf('.') + 1);
}
