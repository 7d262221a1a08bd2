// Key ranges: a prefix covers every key k with prefix <= k < prefixEnd(prefix). Keys are compared as strings;
// Skiff's keys are ASCII (/registry/<resource>/<namespace>/<name>), where this equals etcd's byte order.

/** The smallest string greater than every string starting with `prefix`; undefined when there is none (empty prefix). */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return undefined;
}

/** The byte-wise range end etcd expects for a prefix ("\0" means: no upper bound). */
export function prefixEndBytes(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Where a list under `prefix` starts: at startKey when it lies under the prefix, else at the prefix. */
export function rangeStart(prefix: string, startKey: string | undefined): string {
  return startKey !== undefined && startKey > prefix ? startKey : prefix;
}
