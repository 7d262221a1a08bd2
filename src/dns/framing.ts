// DNS over TCP: every message travels behind a two-byte big-endian length (RFC 1035 4.2.2).

export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

/** Collects stream chunks and hands out whole messages. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let offset = 0;
    while (this.#pending.length - offset >= 2) {
      const length = this.#pending.readUInt16BE(offset);
      if (this.#pending.length - offset - 2 < length) break;
      out.push(this.#pending.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
    }
    this.#pending = offset === this.#pending.length ? Buffer.alloc(0) : this.#pending.subarray(offset);
    return out;
  }

  /** Bytes of an incomplete message held back. */
  get buffered(): number {
    return this.#pending.length;
  }
}
