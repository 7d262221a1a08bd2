// IP addresses as bytes and text, and their reverse-lookup names (in-addr.arpa, ip6.arpa).
import { isIPv6 } from 'node:net';

/** Dotted-quad IPv4 without leading zeros (as Go and Node accept it); undefined otherwise. */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (text.length < 7 || text.length > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined; // a leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

export function parseIPv6(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const out = new Uint8Array(16);
  const words: number[] = [];
  const tail: number[] = [];
  const [head = '', rest] = s.split('::') as [string, string | undefined];
  const parse = (part: string, into: number[]) => {
    if (part === '') return;
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const v4 = parseIPv4(group)!;
        into.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        into.push(parseInt(group, 16));
      }
    }
  };
  parse(head, words);
  if (rest !== undefined) parse(rest, tail);
  const all = [...words, ...new Array<number>(8 - words.length - tail.length).fill(0), ...tail];
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** RFC 5952 text: lower case, the longest run (of two or more) of zero groups as `::`. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical text of an IPv4 or IPv6 address, or undefined when `text` is neither. */
export function canonicalIp(text: string): string | undefined {
  const v4 = parseIPv4(text);
  if (v4) return formatIPv4(v4);
  const v6 = parseIPv6(text);
  return v6 ? formatIPv6(v6) : undefined;
}

/** `4.3.2.1.in-addr.arpa` for 1.2.3.4; the 32-nibble ip6.arpa name for IPv6. */
export function reverseName(ip: string): string | undefined {
  const v4 = parseIPv4(ip);
  if (v4) return `${v4[3]}.${v4[2]}.${v4[1]}.${v4[0]}.in-addr.arpa`;
  const v6 = parseIPv6(ip);
  if (!v6) return undefined;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((v6[i]! & 0xf).toString(16), (v6[i]! >> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** The address a full reverse name stands for (canonical text), or undefined for partial or malformed names. */
export function ipFromReverseName(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const parts = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (parts.length !== 32 || !parts.every((p) => /^[0-9a-f]$/.test(p))) return undefined;
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[15 - i] = parseInt(parts[i * 2]!, 16) | (parseInt(parts[i * 2 + 1]!, 16) << 4);
    return formatIPv6(bytes);
  }
  return undefined;
}
