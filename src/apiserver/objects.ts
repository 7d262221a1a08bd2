// Small helpers on JSON objects: deep equality, deep copy, timestamps, names.
import { randomBytes, randomUUID } from 'node:crypto';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function nowRFC3339(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function newUID(): string {
  return randomUUID();
}

// Upstream's generateName suffix alphabet: no vowels, no confusable digits.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[bytes[i]! % ALPHABET.length];
  return s;
}

/** generateName + 5 random characters, keeping the result within 63 characters like upstream. */
export function generateName(base: string): string {
  const maxBase = 63 - 5;
  return (base.length > maxBase ? base.slice(0, maxBase) : base) + randomSuffix();
}
