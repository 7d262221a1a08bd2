// Encodes plain objects into CRI messages and decodes them back: bigint ↔ int64/uint64, enum names, maps as records,
// sub-messages the runtime left out as undefined rather than null.
import type protobuf from 'protobufjs';
import { criType } from './schema.ts';

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** bigint → decimal string, which protobufjs's fromObject takes for 64-bit fields. */
function forWire(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(forWire);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = forWire(v);
    return out;
  }
  return value;
}

function fromWire(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = obj[field.name];
    if (value === null || value === undefined) continue;
    const convert = (v: unknown): unknown => {
      if (LONG_TYPES.has(field.type)) return BigInt(v as string);
      if (field.resolvedType && 'fieldsArray' in field.resolvedType) {
        return fromWire(field.resolvedType as protobuf.Type, v as Record<string, unknown>);
      }
      return v;
    };
    if (field.map) {
      out[field.name] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convert(v)]));
    } else if (field.repeated) {
      out[field.name] = (value as unknown[]).map(convert);
    } else {
      out[field.name] = convert(value);
    }
  }
  return out;
}

export function encodeMessage(typeName: string, value: object): Buffer {
  const type = criType(typeName);
  return Buffer.from(type.encode(type.fromObject(forWire(value) as Record<string, unknown>)).finish());
}

export function decodeMessage<T>(typeName: string, bytes: Uint8Array): T {
  const type = criType(typeName);
  const obj = type.toObject(type.decode(bytes), { longs: String, enums: String, defaults: true, arrays: true, objects: true });
  return fromWire(type, obj) as T;
}
