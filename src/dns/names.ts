// Domain names in presentation form: escaping, splitting into wire labels, case folding, zone membership.
import { DnsFormatError } from './message.ts';

export const MAX_LABEL = 63;
export const MAX_NAME_WIRE = 255;

const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** The presentation text of one wire label: `.`, `\` and bytes outside printable ASCII are escaped. */
export function labelToText(bytes: Uint8Array): string {
  let clean = true;
  for (const b of bytes) {
    if (b <= 0x20 || b >= 0x7f || b === DOT || b === BACKSLASH) {
      clean = false;
      break;
    }
  }
  if (clean) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let out = '';
  for (const b of bytes) {
    if (b === DOT || b === BACKSLASH) out += '\\' + String.fromCharCode(b);
    else if (b <= 0x20 || b >= 0x7f) out += '\\' + String(b).padStart(3, '0');
    else out += String.fromCharCode(b);
  }
  return out;
}

/** The wire labels of a name ("" and "." are the root: no labels). Throws DnsFormatError for a malformed name. */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === '' || name === '.') return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  let wire = 1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === BACKSLASH) {
      const next = name.charCodeAt(i + 1);
      if (next >= 0x30 && next <= 0x39) {
        const digits = name.slice(i + 1, i + 4);
        const value = /^\d{3}$/.test(digits) ? Number(digits) : NaN;
        if (!(value <= 255)) throw new DnsFormatError(`bad escape in name ${JSON.stringify(name)}`);
        current.push(value);
        i += 3;
      } else if (i + 1 < name.length) {
        current.push(next);
        i += 1;
      } else {
        throw new DnsFormatError(`name ends with a backslash: ${JSON.stringify(name)}`);
      }
    } else if (c === DOT) {
      if (i === name.length - 1) break; // the trailing dot of a fully qualified name
      if (current.length === 0) throw new DnsFormatError(`empty label in name ${JSON.stringify(name)}`);
      labels.push(finishLabel(current, name));
      wire += current.length + 1;
      current = [];
    } else if (c > 0x7f) {
      const char = String.fromCodePoint(name.codePointAt(i)!);
      for (const b of Buffer.from(char, 'utf8')) current.push(b);
      i += char.length - 1;
    } else {
      current.push(c);
    }
  }
  if (current.length === 0) throw new DnsFormatError(`empty label in name ${JSON.stringify(name)}`);
  labels.push(finishLabel(current, name));
  wire += current.length + 1;
  if (wire > MAX_NAME_WIRE) throw new DnsFormatError(`name longer than ${MAX_NAME_WIRE} bytes: ${JSON.stringify(name)}`);
  return labels;
}

function finishLabel(bytes: number[], name: string): Uint8Array {
  if (bytes.length > MAX_LABEL) throw new DnsFormatError(`label longer than ${MAX_LABEL} bytes in ${JSON.stringify(name)}`);
  return Uint8Array.from(bytes);
}

/** Lower case (ASCII only, as DNS compares names) without the trailing dot. */
export function canonicalName(name: string): string {
  const trimmed = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return /[A-Z]/.test(trimmed) ? trimmed.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : trimmed;
}

/** Whether canonical `name` is `zone` or below it (both canonical). */
export function inZone(name: string, zone: string): boolean {
  if (zone === '' || name === zone) return true;
  if (name.length <= zone.length + 1 || !name.endsWith(zone) || name.charCodeAt(name.length - zone.length - 1) !== DOT) return false;
  // The dot before the zone must not itself be escaped.
  let slashes = 0;
  for (let i = name.length - zone.length - 2; i >= 0 && name.charCodeAt(i) === BACKSLASH; i--) slashes++;
  return slashes % 2 === 0;
}

/** The labels of canonical `name` left of `zone` (which it must be in), as presentation strings. */
export function labelsBelow(name: string, zone: string): string[] {
  const rest = name === zone ? '' : zone === '' ? name : name.slice(0, name.length - zone.length - 1);
  if (rest === '') return [];
  if (!rest.includes('\\')) return rest.split('.');
  return nameToLabels(rest).map(labelToText);
}
