// The tar streams `kubectl cp` moves through `tar` in the container: USTAR headers as Go's archive/tar writes them
// (PAX records for names that do not fit), and a reader for what a container's tar sends back (USTAR, PAX and GNU
// long names). Kept to what cp needs: regular files, directories and symbolic links.

const BLOCK = 512;

export interface TarHeader {
  name: string;
  /** Permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** '0' file, '2' symlink, '5' directory, … */
  type: string;
  linkname: string;
  uname: string;
  gname: string;
}

function octal(value: number, width: number): string {
  // Go's formatOctal: zero-padded digits, then NUL.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function put(block: Buffer, offset: number, width: number, text: string): void {
  block.write(text.slice(0, width), offset, width, 'utf8');
}

function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) return { prefix, name: rest };
  }
  return undefined;
}

function headerBlock(h: TarHeader, name: string, prefix: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  put(block, 0, 100, name);
  put(block, 100, 8, octal(h.mode & 0o7777, 8));
  put(block, 108, 8, octal(h.uid, 8));
  put(block, 116, 8, octal(h.gid, 8));
  put(block, 124, 12, octal(h.size, 12));
  put(block, 136, 12, octal(Math.max(0, Math.floor(h.mtime)), 12));
  block.fill(0x20, 148, 156);
  put(block, 156, 1, h.type);
  put(block, 157, 100, h.linkname);
  put(block, 257, 6, 'ustar\0');
  put(block, 263, 2, '00');
  put(block, 265, 32, h.uname);
  put(block, 297, 32, h.gname);
  put(block, 329, 8, octal(0, 8));
  put(block, 337, 8, octal(0, 8));
  put(block, 345, 155, prefix);
  let sum = 0;
  for (const b of block) sum += b;
  put(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** A PAX record: its own length counted in. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/** One entry's header (with a PAX header before it when a name is too long for USTAR). */
export function encodeHeader(h: TarHeader): Buffer {
  const split = splitUstarName(h.name);
  const linkFits = Buffer.byteLength(h.linkname) <= 100;
  if (split && linkFits) return headerBlock(h, split.name, split.prefix);
  let records = '';
  if (!split) records += paxRecord('path', h.name);
  if (!linkFits) records += paxRecord('linkpath', h.linkname);
  const data = Buffer.from(records);
  const base = h.name.split('/').filter(Boolean).pop() ?? '';
  const paxName = `PaxHeaders.0/${base}`.slice(0, 100);
  const pax = headerBlock({ ...h, name: paxName, size: data.length, type: 'x', linkname: '' }, paxName, '');
  const short = split ?? { prefix: '', name: h.name.slice(0, 100) };
  return Buffer.concat([pax, data, padding(data.length), headerBlock({ ...h, linkname: h.linkname.slice(0, 100) }, short.name, short.prefix)]);
}

export function encodeFileEnd(size: number): Buffer {
  return padding(size);
}

/** The end of an archive: two zero blocks. */
export function encodeArchiveEnd(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

// ---- reading ----

/** The archive is cut short or malformed (Go's tar.Reader errors). */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

function cString(block: Buffer, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? width : end).toString('utf8');
}

function parseNumber(block: Buffer, offset: number, width: number): number {
  const field = block.subarray(offset, offset + width);
  if (field[0]! & 0x80) {
    // base-256 (GNU) for large values
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(block, offset, width).trim();
  return text ? parseInt(text, 8) : 0;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let text = data.toString('utf8');
  while (text.length > 0) {
    const space = text.indexOf(' ');
    const length = Number(text.slice(0, space));
    if (!(length > 0)) break;
    const record = Buffer.from(text).subarray(0, length).toString('utf8');
    const eq = record.indexOf('=');
    out[record.slice(space + 1, eq)] = record.slice(eq + 1, -1);
    text = Buffer.from(text).subarray(length).toString('utf8');
  }
  return out;
}

export interface TarEntrySink {
  write(data: Buffer): void;
  end(): void;
}

/**
 * A push parser: feed it the archive's bytes as they come; `onEntry` sees each entry's header and returns where its
 * contents go (or undefined to skip them). Metadata entries (PAX, GNU long names) are applied to the next entry.
 */
export class TarExtractor {
  #buffer: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #pad = 0;
  #sink: TarEntrySink | undefined;
  #meta: { data: Buffer[]; type: string } | undefined;
  #pending: Record<string, string> = {};
  #done = false;
  #sawHeader = false;

  constructor(readonly onEntry: (header: TarHeader) => TarEntrySink | undefined) {}

  get done(): boolean {
    return this.#done;
  }

  write(chunk: Buffer): void {
    if (this.#done) return;
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    while (!this.#done) {
      if (this.#remaining > 0) {
        if (this.#buffer.length === 0) return;
        const piece = this.#buffer.subarray(0, this.#remaining);
        this.#buffer = this.#buffer.subarray(piece.length);
        this.#remaining -= piece.length;
        if (this.#meta) this.#meta.data.push(piece);
        else this.#sink?.write(piece);
        if (this.#remaining === 0) this.#finishEntry();
        continue;
      }
      if (this.#pad > 0) {
        const skip = Math.min(this.#pad, this.#buffer.length);
        this.#buffer = this.#buffer.subarray(skip);
        this.#pad -= skip;
        if (this.#pad > 0) return;
        continue;
      }
      if (this.#buffer.length < BLOCK) return;
      const block = this.#buffer.subarray(0, BLOCK);
      this.#buffer = this.#buffer.subarray(BLOCK);
      this.#header(block);
    }
  }

  /** The input ended: an error unless the archive was complete (or empty, which Go's reader also accepts). */
  end(): void {
    if (this.#done) return;
    if (this.#remaining > 0 || this.#pad > 0 || this.#buffer.length > 0 || this.#meta) throw new TarFormatError('unexpected EOF');
    this.#done = true;
  }

  #header(block: Buffer): void {
    if (block.every((b) => b === 0)) {
      this.#done = true;
      return;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (sum !== parseNumber(block, 148, 8)) throw new TarFormatError(this.#sawHeader ? 'archive/tar: invalid tar header' : 'archive/tar: invalid tar header');
    this.#sawHeader = true;
    const type = String.fromCharCode(block[156] || 0x30);
    const size = parseNumber(block, 124, 12);
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      this.#meta = { data: [], type };
      this.#remaining = size;
      this.#pad = padding(size).length;
      if (size === 0) this.#finishEntry();
      return;
    }
    const magic = cString(block, 257, 6);
    const prefix = magic.startsWith('ustar') && block.subarray(257, 265).toString('latin1') !== 'ustar  \0' ? cString(block, 345, 155) : '';
    let name = cString(block, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    const header: TarHeader = {
      name: this.#pending['path'] ?? name,
      mode: parseNumber(block, 100, 8),
      uid: parseNumber(block, 108, 8),
      gid: parseNumber(block, 116, 8),
      size: this.#pending['size'] !== undefined ? Number(this.#pending['size']) : size,
      mtime: parseNumber(block, 136, 12),
      type: type === '\0' ? '0' : type,
      linkname: this.#pending['linkpath'] ?? cString(block, 157, 100),
      uname: cString(block, 265, 32),
      gname: cString(block, 297, 32),
    };
    this.#pending = {};
    const hasData = header.type === '0' || header.type === '7';
    this.#sink = this.onEntry(header);
    this.#remaining = hasData ? header.size : 0;
    this.#pad = hasData ? padding(header.size).length : 0;
    if (this.#remaining === 0) this.#finishEntry();
  }

  #finishEntry(): void {
    if (this.#meta) {
      const data = Buffer.concat(this.#meta.data);
      if (this.#meta.type === 'x') Object.assign(this.#pending, parsePax(data));
      else if (this.#meta.type === 'L') this.#pending['path'] = cString(data, 0, data.length);
      else if (this.#meta.type === 'K') this.#pending['linkpath'] = cString(data, 0, data.length);
      this.#meta = undefined;
      return;
    }
    this.#sink?.end();
    this.#sink = undefined;
  }
}
