// The pod-template-hash: FNV-32a of the pod template (plus the collision count), written as upstream's
// rand.SafeEncodeString of the decimal hash — so ReplicaSet names have upstream's shape (nginx-7854ff8877).
// Upstream hashes go-spew's dump of the Go struct; Skiff hashes the template's canonical JSON (sorted keys), so the
// values differ from upstream's but stay stable for one template.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** rand.SafeEncodeString's alphabet: no vowels (no words) and no confusable characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function fnv32a(bytes: Uint8Array, hash = FNV_OFFSET): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** JSON with object keys sorted, so equal templates hash alike whatever their key order. */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJSON(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJSON((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Upstream's rand.SafeEncodeString: each byte mapped into ALPHANUMS. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** controller.ComputeHash: the hash of `template`, the collision count (when set) appended as 8 little-endian bytes. */
export function computeHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJSON(template)));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}
