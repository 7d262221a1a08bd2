// Test helper: encodes JSON-shaped objects as Kubernetes protobuf bodies with protobufjs, using
// message definitions built from Skiff's schema (field numbers and types only). For tests only.
import protobuf from 'protobufjs';
import { isListRef, isMapRef, isStructRef, schemaType } from '../api/schema.ts';
import type { TypeRef } from '../api/schema.ts';

const SCALARS: Record<string, string> = { string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', double: 'double', bytes: 'bytes' };

/** Message definitions for the special types, as upstream's generated.proto declares them. */
const SPECIAL_MESSAGES: Record<string, Array<[name: string, id: number, type: string]>> = {
  time: [['seconds', 1, 'int64'], ['nanos', 2, 'int32']],
  microtime: [['seconds', 1, 'int64'], ['nanos', 2, 'int32']],
  quantity: [['string', 1, 'string']],
  'int-or-string': [['type', 1, 'int64'], ['intVal', 2, 'int32'], ['strVal', 3, 'string']],
  raw: [['raw', 1, 'bytes']],
  fieldsV1: [['Raw', 1, 'bytes']],
  duration: [['duration', 1, 'int64']],
};

export interface EncodeOptions {
  /** Write zero values for every non-pointer scalar and an empty message for every non-pointer struct, as gogo-protobuf does. */
  gogo?: boolean;
}

export class SchemaProtoEncoder {
  #root = new protobuf.Root();
  #types = new Map<string, protobuf.Type>();
  #seq = 0;

  /** Encodes obj (JSON form of typeName) as the bare message. */
  encodeMessage(typeName: string, obj: unknown, opts: EncodeOptions = {}): Uint8Array {
    const type = this.#messageType(typeName);
    return type.encode(type.fromObject(this.#toProto(typeName, obj, opts) as Record<string, unknown>)).finish();
  }

  /** Encodes a whole request body: magic + runtime.Unknown{typeMeta, raw}. */
  encodeBody(apiVersion: string, kind: string, typeName: string, obj: unknown, opts: EncodeOptions = {}): Uint8Array {
    const raw = this.encodeMessage(typeName, obj, opts);
    const unknown = this.#unknownType();
    const env = unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
    const out = new Uint8Array(4 + env.length);
    out.set([0x6b, 0x38, 0x73, 0x00]);
    out.set(env, 4);
    return out;
  }

  #unknownType(): protobuf.Type {
    let t = this.#types.get('runtime.Unknown');
    if (t) return t;
    const tm = new protobuf.Type('TypeMeta').add(new protobuf.Field('apiVersion', 1, 'string')).add(new protobuf.Field('kind', 2, 'string'));
    t = new protobuf.Type('Unknown')
      .add(new protobuf.Field('typeMeta', 1, 'TypeMeta'))
      .add(new protobuf.Field('raw', 2, 'bytes'))
      .add(new protobuf.Field('contentEncoding', 3, 'string'))
      .add(new protobuf.Field('contentType', 4, 'string'));
    this.#root.add(tm).add(t);
    this.#types.set('runtime.Unknown', t);
    return t;
  }

  /** protobufjs type name for a TypeRef (element type for lists, value type for maps). */
  #protoTypeName(ref: TypeRef): string {
    if (typeof ref === 'string') {
      if (Object.hasOwn(SCALARS, ref)) return SCALARS[ref]!;
      return this.#messageType(ref).name;
    }
    if (isListRef(ref) && ref.wrapped) return this.#wrapperType(ref.list).name;
    throw new Error(`nested collection ${JSON.stringify(ref)} has no protobuf form`);
  }

  #wrapperType(elem: TypeRef): protobuf.Type {
    const key = `wrapper:${JSON.stringify(elem)}`;
    let t = this.#types.get(key);
    if (t) return t;
    t = new protobuf.Type(`Wrapper${++this.#seq}`);
    this.#root.add(t);
    this.#types.set(key, t);
    t.add(new protobuf.Field('items', 1, this.#protoTypeName(elem), 'repeated'));
    return t;
  }

  #messageType(ref: string): protobuf.Type {
    let t = this.#types.get(ref);
    if (t) return t;
    t = new protobuf.Type(`M${++this.#seq}`);
    this.#root.add(t);
    this.#types.set(ref, t);
    const special = SPECIAL_MESSAGES[ref];
    if (special) {
      for (const [name, id, type] of special) t.add(new protobuf.Field(name, id, type));
      return t;
    }
    const schema = schemaType(ref);
    if (!schema) throw new Error(`no schema for ${ref}`);
    for (const f of Object.values(schema.fields)) {
      if (f.proto === undefined) continue;
      const fieldName = `f${f.proto}`;
      if (isMapRef(f.type)) t.add(new protobuf.MapField(fieldName, f.proto, 'string', this.#protoTypeName(f.type.map)));
      else if (isListRef(f.type) && !f.type.wrapped) t.add(new protobuf.Field(fieldName, f.proto, this.#protoTypeName(f.type.list), 'repeated'));
      else t.add(new protobuf.Field(fieldName, f.proto, this.#protoTypeName(f.type)));
    }
    return t;
  }

  /** Converts a JSON value of the given type to protobufjs' plain object form. */
  #toProto(ref: TypeRef, v: unknown, opts: EncodeOptions): unknown {
    if (v === undefined || v === null) return undefined;
    if (isListRef(ref)) {
      const items = (v as unknown[]).map((x) => this.#toProto(ref.list, x, opts));
      return ref.wrapped ? { items } : items;
    }
    if (isMapRef(ref)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, this.#toProto(ref.map, x, opts)]));
    }
    switch (ref) {
      case 'string':
      case 'int32':
      case 'int64':
      case 'bool':
      case 'double':
        return v;
      case 'bytes':
        return Buffer.from(v as string, 'base64');
      case 'time':
      case 'microtime': {
        const ms = Date.parse(v as string);
        const frac = /\.(\d+)/.exec(v as string)?.[1] ?? '';
        return { seconds: Math.floor(ms / 1000), nanos: Number(frac.padEnd(9, '0').slice(0, 9)) };
      }
      case 'quantity':
        return { string: v };
      case 'int-or-string':
        return typeof v === 'string' ? { type: 1, intVal: 0, strVal: v } : { type: 0, intVal: v, strVal: '' };
      case 'raw':
        return { raw: Buffer.from(JSON.stringify(v)) };
      case 'fieldsV1':
        return { Raw: Buffer.from(JSON.stringify(v)) };
      case 'duration':
        throw new Error('duration encoding is not needed by the tests');
    }
    return this.#structToProto(ref, v, opts);
  }

  #structToProto(ref: string, v: unknown, opts: EncodeOptions): unknown {
    const schema = schemaType(ref)!;
    const obj = (v ?? {}) as Record<string, unknown>;
    if (schema.json) return this.#customToProto(schema.json, obj, opts);
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(schema.fields)) {
      if (f.proto === undefined) continue;
      const key = `f${f.proto}`;
      if (f.inline) {
        out[key] = this.#structToProto(f.type as string, obj, opts);
        continue;
      }
      const value = obj[name];
      const converted = value === undefined && opts.gogo && !f.ptr ? this.#gogoZero(f.type, opts) : this.#toProto(f.type, value, opts);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }

  /** What gogo writes for a non-pointer field left at its Go zero value. */
  #gogoZero(ref: TypeRef, opts: EncodeOptions): unknown {
    switch (ref) {
      case 'string':
        return '';
      case 'int32':
      case 'int64':
      case 'double':
        return 0;
      case 'bool':
        return false;
      case 'time':
      case 'microtime':
      case 'raw':
      case 'fieldsV1':
        return {};
      case 'quantity':
        return { string: '0' };
      case 'int-or-string':
        return { type: 0, intVal: 0, strVal: '' };
      default:
        return isStructRef(ref) ? this.#structToProto(ref, {}, opts) : undefined;
    }
  }

  #customToProto(form: string, v: unknown, opts: EncodeOptions): unknown {
    const props = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps';
    const schema = (x: unknown) => this.#toProto(props, x, opts);
    if (form === 'schemaOrBool') return typeof v === 'boolean' ? { f1: v } : { f1: true, f2: schema(v) };
    if (Array.isArray(v)) return form === 'schemaOrArray' ? { f2: v.map(schema) } : { f2: v };
    return { f1: schema(v) };
  }
}


