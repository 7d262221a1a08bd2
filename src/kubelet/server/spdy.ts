// SPDY/3.1 as Kubernetes streaming speaks it: kubectl port-forward (plain, or tunnelled in WebSocket messages) and the
// streaming servers of kubelets and containerd, which all use Go's moby/spdystream. Frames as in
// draft-mbelshe-httpbis-spdy-00, name/value header blocks compressed with zlib and SPDY/3's dictionary (one zlib
// context per direction for the life of the connection), and a session of multiplexed streams over any Duplex, as
// server or client.
//
// Flow control: spdystream neither sends WINDOW_UPDATE nor honours windows, so neither does this session (received
// SETTINGS and WINDOW_UPDATE are ignored). Backpressure comes from the transport instead: reading stops while a
// stream's read buffer is full, and stream writes complete only once the transport takes the frame.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';

export const SPDY_VERSION = 3;

export const ControlType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  INVALID_CREDENTIALS: 10,
  FRAME_TOO_LARGE: 11,
} as const;

export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

const FLAG_FIN = 0x01;
const FLAG_UNIDIRECTIONAL = 0x02;
const FLAG_CLEAR_SETTINGS = 0x01;
/** Frame lengths are 24 bits. */
export const MAX_FRAME_LENGTH = 0xffffff;
const EMPTY = Buffer.alloc(0);

/**
 * Header names (lower-case, as SPDY/3 requires) to values. Several values of one name travel joined by NUL bytes,
 * as on the wire.
 */
export type SpdyHeaders = Record<string, string>;

export interface SpdySetting {
  id: number;
  flags: number;
  value: number;
}

export type SpdyFrame =
  | { type: 'DATA'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'SYN_STREAM';
      streamId: number;
      associatedStreamId: number;
      /** 0 (highest) to 7. */
      priority: number;
      fin: boolean;
      unidirectional: boolean;
      headers: SpdyHeaders;
    }
  | { type: 'SYN_REPLY'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'RST_STREAM'; streamId: number; status: number }
  | { type: 'SETTINGS'; clear: boolean; settings: SpdySetting[] }
  | { type: 'PING'; id: number }
  | { type: 'GOAWAY'; lastGoodStreamId: number; status: number }
  | { type: 'HEADERS'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'WINDOW_UPDATE'; streamId: number; delta: number };

/** The peer broke the protocol, or sent bytes that are not SPDY/3. */
export class SpdyProtocolError extends Error {
  override name = 'SpdyProtocolError';
}

/** A stream was reset (RST_STREAM) with a status other than CANCEL, or refused before its reply. */
export class SpdyStreamResetError extends Error {
  override name = 'SpdyStreamResetError';
  constructor(
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(`stream reset: ${rstStatusName(status)}`, options);
  }
}

/** The session is closed (or going away) and can carry no more frames or streams. */
export class SpdySessionClosedError extends Error {
  override name = 'SpdySessionClosedError';
}

export function rstStatusName(status: number): string {
  const entry = Object.entries(RstStatus).find(([, value]) => value === status);
  return entry ? entry[0] : `status ${status}`;
}

// Header names, then header values, each with a 4-byte length, then common value fragments: SPDY/3's dictionary.
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date',
  'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate',
  'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version',
  'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

let dictionary: Buffer | undefined;

/** The zlib dictionary of SPDY/3 header blocks (1423 bytes). */
export function spdyDictionary(): Buffer {
  if (!dictionary) {
    const parts: Buffer[] = [];
    for (const word of DICTIONARY_WORDS) {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(word.length);
      parts.push(length, Buffer.from(word, 'latin1'));
    }
    parts.push(Buffer.from(DICTIONARY_TAIL, 'latin1'));
    dictionary = Buffer.concat(parts);
  }
  return dictionary;
}

/** An uncompressed name/value header block. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers).map(([name, value]) => [Buffer.from(name.toLowerCase()), Buffer.from(value)] as const);
  const size = entries.reduce((sum, [name, value]) => sum + 8 + name.length + value.length, 4);
  const block = Buffer.alloc(size);
  let offset = block.writeUInt32BE(entries.length, 0);
  for (const [name, value] of entries) {
    offset = block.writeUInt32BE(name.length, offset);
    offset += name.copy(block, offset);
    offset = block.writeUInt32BE(value.length, offset);
    offset += value.copy(block, offset);
  }
  return block;
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  const need = (offset: number, length: number) => {
    if (offset + length > block.length) throw new SpdyProtocolError('truncated header block');
  };
  need(0, 4);
  const count = block.readUInt32BE(0);
  let offset = 4;
  for (let i = 0; i < count; i++) {
    need(offset, 4);
    const nameLength = block.readUInt32BE(offset);
    need(offset + 4, nameLength + 4);
    const name = block.toString('utf8', offset + 4, offset + 4 + nameLength).toLowerCase();
    offset += 4 + nameLength;
    const valueLength = block.readUInt32BE(offset);
    need(offset + 4, valueLength);
    const value = block.toString('utf8', offset + 4, offset + 4 + valueLength);
    offset += 4 + valueLength;
    if (!name) throw new SpdyProtocolError('empty header name');
    headers[name] = name in headers ? `${headers[name]}\0${value}` : value;
  }
  return headers;
}

/**
 * One direction's zlib context. SPDY/3 compresses every header block of a connection in one stream, flushed with
 * Z_SYNC_FLUSH at the end of each block, so blocks must pass through in frame order; calls are queued.
 */
class ZlibContext {
  readonly #zlib: zlib.Deflate | zlib.Inflate;
  #output: Buffer[] = [];
  #failure: Error | undefined;
  #reject: ((error: Error) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(engine: zlib.Deflate | zlib.Inflate) {
    this.#zlib = engine;
    // Attached at once, so output is emitted before each flush's callback runs.
    engine.on('data', (chunk: Buffer) => this.#output.push(chunk));
    engine.on('error', (error: Error) => {
      this.#failure = error;
      this.#reject?.(error);
    });
  }

  process(input: Buffer): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.#failure) return reject(this.#failure);
        this.#reject = reject;
        this.#zlib.write(input);
        this.#zlib.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          this.#reject = undefined;
          if (this.#failure) return reject(this.#failure);
          const output = Buffer.concat(this.#output);
          this.#output = [];
          resolve(output);
        });
      });
    const result = this.#queue.then(run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.#failure ??= new SpdySessionClosedError('header compression context closed');
    this.#zlib.close();
  }
}

/** Compresses the header blocks this side sends. */
export class HeaderCompressor {
  readonly #context = new ZlibContext(zlib.createDeflate({ dictionary: spdyDictionary() }));

  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.#context.process(encodeHeaderBlock(headers));
  }

  close(): void {
    this.#context.close();
  }
}

/** Decompresses the header blocks the peer sends. */
export class HeaderDecompressor {
  readonly #context = new ZlibContext(zlib.createInflate({ dictionary: spdyDictionary() }));

  async decompress(compressed: Buffer): Promise<SpdyHeaders> {
    let block: Buffer;
    try {
      block = await this.#context.process(compressed);
    } catch (error) {
      if (error instanceof SpdySessionClosedError) throw error;
      throw new SpdyProtocolError('undecodable header block', { cause: error });
    }
    return decodeHeaderBlock(block);
  }

  close(): void {
    this.#context.close();
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new SpdyProtocolError(`control frame of ${payload.length} bytes is too large`);
  const frame = Buffer.alloc(8 + payload.length);
  frame.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  frame.writeUInt16BE(type, 2);
  frame.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  payload.copy(frame, 8);
  return frame;
}

function uint32s(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => buffer.writeUInt32BE(value >>> 0, i * 4));
  return buffer;
}

function checkStreamId(id: number): void {
  if (!Number.isInteger(id) || id <= 0 || id > 0x7fffffff) throw new SpdyProtocolError(`invalid stream id ${id}`);
}

/** The bytes of one frame; header blocks go through `compressor`, so frames must be encoded in the order they are sent. */
export function encodeFrame(frame: SpdyFrame, compressor: HeaderCompressor): Buffer | Promise<Buffer> {
  switch (frame.type) {
    case 'DATA': {
      checkStreamId(frame.streamId);
      if (frame.data.length > MAX_FRAME_LENGTH) throw new SpdyProtocolError(`data frame of ${frame.data.length} bytes is too large`);
      const bytes = Buffer.alloc(8 + frame.data.length);
      bytes.writeUInt32BE(frame.streamId, 0);
      bytes.writeUInt32BE((((frame.fin ? FLAG_FIN : 0) << 24) | frame.data.length) >>> 0, 4);
      frame.data.copy(bytes, 8);
      return bytes;
    }
    case 'SYN_STREAM': {
      checkStreamId(frame.streamId);
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId, 0);
      fixed.writeUInt32BE(frame.associatedStreamId, 4);
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8);
      return compressor.compress(frame.headers).then((block) => controlFrame(ControlType.SYN_STREAM, flags, Buffer.concat([fixed, block])));
    }
    case 'SYN_REPLY':
    case 'HEADERS': {
      checkStreamId(frame.streamId);
      const type = frame.type === 'SYN_REPLY' ? ControlType.SYN_REPLY : ControlType.HEADERS;
      return compressor
        .compress(frame.headers)
        .then((block) => controlFrame(type, frame.fin ? FLAG_FIN : 0, Buffer.concat([uint32s(frame.streamId), block])));
    }
    case 'RST_STREAM':
      checkStreamId(frame.streamId);
      return controlFrame(ControlType.RST_STREAM, 0, uint32s(frame.streamId, frame.status));
    case 'SETTINGS':
      return controlFrame(
        ControlType.SETTINGS,
        frame.clear ? FLAG_CLEAR_SETTINGS : 0,
        uint32s(frame.settings.length, ...frame.settings.flatMap((s) => [((s.flags << 24) | (s.id & 0xffffff)) >>> 0, s.value])),
      );
    case 'PING':
      return controlFrame(ControlType.PING, 0, uint32s(frame.id));
    case 'GOAWAY':
      return controlFrame(ControlType.GOAWAY, 0, uint32s(frame.lastGoodStreamId, frame.status));
    case 'WINDOW_UPDATE':
      return controlFrame(ControlType.WINDOW_UPDATE, 0, uint32s(frame.streamId, frame.delta & 0x7fffffff));
  }
}

/** One frame as it came off the wire, its header block still compressed. */
export type RawFrame =
  | { control: true; version: number; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

/** Splits a byte stream into frames. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next complete frame, or undefined until more bytes arrive. */
  next(): RawFrame | undefined {
    if (this.#buffered < 8) return undefined;
    const head = this.#peek(8);
    const length = head.readUInt32BE(4) & MAX_FRAME_LENGTH;
    if (this.#buffered < 8 + length) return undefined;
    const bytes = this.#take(8 + length);
    const first = bytes.readUInt32BE(0);
    const flags = bytes.readUInt8(4);
    const payload = bytes.subarray(8);
    if (first & 0x80000000) return { control: true, version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload };
    return { control: false, streamId: first & 0x7fffffff, flags, payload };
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, n);
  }

  #take(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    const first = this.#chunks[0]!;
    const taken = first.subarray(0, n);
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#buffered -= n;
    return taken;
  }
}

function expectLength(raw: RawFrame, name: string, exact?: number, atLeast?: number): void {
  const length = raw.payload.length;
  if ((exact !== undefined && length !== exact) || (atLeast !== undefined && length < atLeast)) {
    throw new SpdyProtocolError(`${name} frame with a payload of ${length} bytes`);
  }
}

/**
 * The frame a raw frame carries, its header block decompressed through `decompressor` (so frames must be decoded in
 * the order they arrived). Unknown control frame types give undefined: SPDY/3 says to ignore them.
 */
export function decodeFrame(raw: RawFrame, decompressor: HeaderDecompressor): SpdyFrame | Promise<SpdyFrame> | undefined {
  if (!raw.control) {
    if (raw.streamId === 0) throw new SpdyProtocolError('data frame for stream 0');
    return { type: 'DATA', streamId: raw.streamId, fin: (raw.flags & FLAG_FIN) !== 0, data: raw.payload };
  }
  if (raw.version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${raw.version}`);
  const p = raw.payload;
  const fin = (raw.flags & FLAG_FIN) !== 0;
  switch (raw.type) {
    case ControlType.SYN_STREAM: {
      expectLength(raw, 'SYN_STREAM', undefined, 10);
      const streamId = p.readUInt32BE(0) & 0x7fffffff;
      const associatedStreamId = p.readUInt32BE(4) & 0x7fffffff;
      const priority = p.readUInt8(8) >>> 5;
      const unidirectional = (raw.flags & FLAG_UNIDIRECTIONAL) !== 0;
      return decompressor
        .decompress(p.subarray(10))
        .then((headers) => ({ type: 'SYN_STREAM', streamId, associatedStreamId, priority, fin, unidirectional, headers }));
    }
    case ControlType.SYN_REPLY:
    case ControlType.HEADERS: {
      expectLength(raw, raw.type === ControlType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS', undefined, 4);
      const streamId = p.readUInt32BE(0) & 0x7fffffff;
      const type = raw.type === ControlType.SYN_REPLY ? ('SYN_REPLY' as const) : ('HEADERS' as const);
      return decompressor.decompress(p.subarray(4)).then((headers) => ({ type, streamId, fin, headers }));
    }
    case ControlType.RST_STREAM:
      expectLength(raw, 'RST_STREAM', 8);
      return { type: 'RST_STREAM', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case ControlType.SETTINGS: {
      expectLength(raw, 'SETTINGS', undefined, 4);
      const count = p.readUInt32BE(0);
      expectLength(raw, 'SETTINGS', 4 + count * 8);
      const settings: SpdySetting[] = [];
      for (let i = 0; i < count; i++) {
        const flagsAndId = p.readUInt32BE(4 + i * 8);
        settings.push({ flags: flagsAndId >>> 24, id: flagsAndId & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { type: 'SETTINGS', clear: (raw.flags & FLAG_CLEAR_SETTINGS) !== 0, settings };
    }
    case ControlType.PING:
      expectLength(raw, 'PING', 4);
      return { type: 'PING', id: p.readUInt32BE(0) };
    case ControlType.GOAWAY:
      expectLength(raw, 'GOAWAY', 8);
      return { type: 'GOAWAY', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case ControlType.WINDOW_UPDATE:
      expectLength(raw, 'WINDOW_UPDATE', 8);
      return { type: 'WINDOW_UPDATE', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return undefined;
  }
}

// What a stream needs from its session; kept off the public API.
interface StreamOwner {
  readonly maxFramePayload: number;
  send(frame: SpdyFrame): Promise<void>;
  setBlocked(stream: SpdyStream, blocked: boolean): void;
  forget(stream: SpdyStream): void;
  isOpen(): boolean;
}

const kData = Symbol('data');
const kFin = Symbol('fin');
const kReply = Symbol('reply');
const kReset = Symbol('reset');
const kHeaders = Symbol('headers');
const kAbort = Symbol('abort');

/**
 * One SPDY stream as a Duplex: writes become DATA frames, end() sends FIN (half-close), the peer's DATA is readable
 * and its FIN ends the readable side. Reset by the peer with CANCEL it closes without an error (as spdystream's reads
 * end); other statuses destroy it with SpdyStreamResetError. Destroying it resets it unless both sides had finished.
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  /** The headers the stream was opened with (SYN_STREAM). */
  readonly headers: SpdyHeaders;
  /** Opened by this side of the session. */
  readonly local: boolean;
  /**
   * Settles when the stream is replied to: for streams this side opened, with the SYN_REPLY headers (rejecting if the
   * stream is reset or closed first); for streams the peer opened, with the headers of respond().
   */
  readonly replied: Promise<SpdyHeaders>;
  /** The RST_STREAM status, once either side has reset the stream. */
  rstStatus: number | undefined;

  readonly #owner: StreamOwner;
  #isReplied = false;
  #resolveReply!: (headers: SpdyHeaders) => void;
  #rejectReply!: (error: Error) => void;
  #afterReply: Array<(error?: Error) => void> = [];
  #localFin = false;
  #remoteFin = false;
  #resetSeen = false;

  /** Made by SpdySession (openStream, or for each SYN_STREAM); not meant to be constructed directly. */
  constructor(owner: StreamOwner, id: number, headers: SpdyHeaders, local: boolean, options: { unidirectional?: boolean } = {}) {
    super({ allowHalfOpen: true });
    this.#owner = owner;
    this.id = id;
    this.headers = headers;
    this.local = local;
    this.replied = new Promise<SpdyHeaders>((resolve, reject) => {
      this.#resolveReply = resolve;
      this.#rejectReply = reject;
    });
    this.replied.catch(() => undefined);
    // A unidirectional stream from the peer takes nothing from this side.
    if (options.unidirectional && !local) {
      this.#localFin = true;
      this.end();
    }
  }

  /** Accepts a stream the peer opened (SYN_REPLY). Writing first accepts it with no headers. */
  respond(headers: SpdyHeaders = {}): void {
    if (this.local) throw new TypeError('respond() is for streams the peer opened');
    if (this.#isReplied || this.destroyed) return;
    this.#isReplied = true;
    this.#owner.send({ type: 'SYN_REPLY', streamId: this.id, fin: false, headers }).catch(() => undefined);
    this.#replied(headers);
  }

  /** Sends additional headers (HEADERS frame). */
  sendHeaders(headers: SpdyHeaders): Promise<void> {
    return this.#owner.send({ type: 'HEADERS', streamId: this.id, fin: false, headers });
  }

  /** Closes both directions at once with RST_STREAM (default CANCEL), as spdystream's Reset does. */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.#resetSeen || (this.#localFin && this.#remoteFin)) {
      this.destroy();
      return;
    }
    this.#resetSeen = true;
    this.rstStatus = status;
    if (this.#owner.isOpen()) this.#owner.send({ type: 'RST_STREAM', streamId: this.id, status }).catch(() => undefined);
    this.destroy();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#whenReplied((error) => {
      if (error) return callback(error);
      this.#sendData(chunk, false).then(() => callback(), callback);
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#localFin) return callback();
    this.#whenReplied((error) => {
      if (error) return callback(error);
      this.#sendData(EMPTY, true).then(() => {
        this.#localFin = true;
        this.#forgetIfDone();
        callback();
      }, callback);
    });
  }

  override _read(): void {
    this.#owner.setBlocked(this, false);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#resetSeen && !(this.#localFin && this.#remoteFin) && this.#owner.isOpen()) {
      this.#resetSeen = true;
      this.rstStatus = RstStatus.CANCEL;
      this.#owner.send({ type: 'RST_STREAM', streamId: this.id, status: RstStatus.CANCEL }).catch(() => undefined);
    }
    this.#owner.setBlocked(this, false);
    this.#owner.forget(this);
    const closed = error ?? new SpdySessionClosedError(`stream ${this.id} closed`);
    if (!this.#isReplied) this.#rejectReply(closed);
    for (const waiting of this.#afterReply.splice(0)) waiting(closed);
    callback(error);
  }

  [kData](data: Buffer): void {
    if (this.#remoteFin) {
      this.reset(RstStatus.STREAM_ALREADY_CLOSED);
      return;
    }
    if (this.destroyed || data.length === 0) return;
    if (!this.push(data)) this.#owner.setBlocked(this, true);
  }

  [kFin](): void {
    if (this.#remoteFin) return;
    this.#remoteFin = true;
    if (!this.destroyed) this.push(null);
    this.#forgetIfDone();
  }

  [kReply](headers: SpdyHeaders): void {
    if (this.#isReplied) return;
    this.#isReplied = true;
    this.#replied(headers);
  }

  [kHeaders](headers: SpdyHeaders): void {
    this.emit('headers', headers);
  }

  [kReset](status: number): void {
    this.#resetSeen = true;
    this.rstStatus = status;
    if (!this.#isReplied) this.#rejectReply(new SpdyStreamResetError(status));
    this.destroy(status === RstStatus.CANCEL ? undefined : new SpdyStreamResetError(status));
  }

  /** The session ended under the stream. */
  [kAbort](error?: Error): void {
    this.#resetSeen = true;
    this.destroy(error);
  }

  #replied(headers: SpdyHeaders): void {
    this.#resolveReply(headers);
    for (const waiting of this.#afterReply.splice(0)) waiting();
  }

  // spdystream drops DATA on a stream it opened until its SYN_REPLY arrives, so nothing is sent before the reply;
  // streams the peer opened are accepted by the first write.
  #whenReplied(then: (error?: Error) => void): void {
    if (!this.local && !this.#isReplied) this.respond();
    if (this.#isReplied) then();
    else this.#afterReply.push(then);
  }

  async #sendData(data: Buffer, fin: boolean): Promise<void> {
    const max = this.#owner.maxFramePayload;
    let last: Promise<void> | undefined;
    for (let offset = 0; offset < data.length; offset += max) {
      const piece = data.subarray(offset, offset + max);
      last = this.#owner.send({ type: 'DATA', streamId: this.id, fin: fin && offset + max >= data.length, data: piece });
    }
    if (!last) last = this.#owner.send({ type: 'DATA', streamId: this.id, fin, data: EMPTY });
    await last;
  }

  #forgetIfDone(): void {
    if (this.#localFin && this.#remoteFin) this.#owner.forget(this);
  }
}

export interface SpdySessionOptions {
  /** A server accepts odd stream ids and opens even ones; a client the reverse. */
  role: 'client' | 'server';
  /** Largest DATA payload per frame (default 32 KiB). */
  maxFramePayload?: number;
  /** After close(), how long to wait for the peer to close the transport before destroying it (default 10 s). */
  closeTimeoutMs?: number;
}

export interface SpdySessionEvents {
  /** The peer opened a stream: call respond() (or write) to accept it, reset() to refuse it. */
  stream: [stream: SpdyStream];
  /** The peer sent GOAWAY: it takes no new streams. */
  goaway: [lastGoodStreamId: number, status: number];
  /** The transport closed; every stream is closed. */
  close: [error: Error | undefined];
}

/**
 * A SPDY/3.1 session over a Duplex transport (a socket after an HTTP upgrade, or a WebSocket carrying the bytes).
 * Remote streams arrive as 'stream' events; refused automatically when nobody listens.
 */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  readonly role: 'client' | 'server';
  /** Resolves when the transport has closed, with the error that ended the session, if any. */
  readonly closed: Promise<Error | undefined>;

  readonly #transport: Duplex;
  readonly #maxFramePayload: number;
  readonly #closeTimeoutMs: number;
  readonly #streams = new Map<number, SpdyStream>();
  readonly #blocked = new Set<SpdyStream>();
  readonly #pings = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  readonly #reader = new FrameReader();
  readonly #inbox: RawFrame[] = [];
  #draining = false;
  #paused = false;
  #writes: Promise<void> = Promise.resolve();
  #nextStreamId: number;
  #nextPingId: number;
  #lastRemoteStreamId = 0;
  #sentGoAway = false;
  #peerGoneAway = false;
  #ended = false;
  #error: Error | undefined;
  #resolveClosed!: (error: Error | undefined) => void;
  readonly #owner: StreamOwner;

  constructor(transport: Duplex, options: SpdySessionOptions) {
    super();
    this.role = options.role;
    this.#transport = transport;
    this.#maxFramePayload = Math.min(options.maxFramePayload ?? 32 * 1024, MAX_FRAME_LENGTH);
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.#nextStreamId = options.role === 'client' ? 1 : 2;
    this.#nextPingId = options.role === 'client' ? 1 : 2;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#owner = {
      maxFramePayload: this.#maxFramePayload,
      send: (frame) => this.#send(frame),
      setBlocked: (stream, blocked) => this.#setBlocked(stream, blocked),
      forget: (stream) => {
        if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
        this.#setBlocked(stream, false);
      },
      isOpen: () => !this.#ended,
    };
    transport.on('data', (chunk: Buffer) => this.#received(chunk));
    transport.on('end', () => this.close());
    transport.on('error', (error: Error) => {
      this.#error ??= error;
      transport.destroy();
    });
    transport.on('close', () => this.#onTransportClosed());
    if (transport.destroyed) queueMicrotask(() => this.#onTransportClosed());
  }

  /** Streams currently open (not yet finished in both directions, nor reset). */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Opens a stream (SYN_STREAM). Wait for `replied` to know the peer accepted it; writes wait for it anyway. */
  openStream(headers: SpdyHeaders, options: { priority?: number; fin?: boolean } = {}): SpdyStream {
    if (this.#ended || this.#sentGoAway || this.#peerGoneAway) throw new SpdySessionClosedError('the SPDY session is closed');
    const id = this.#nextStreamId;
    if (id > 0x7fffffff) throw new SpdySessionClosedError('no stream ids left on this SPDY session');
    this.#nextStreamId += 2;
    const stream = new SpdyStream(this.#owner, id, headers, true);
    this.#streams.set(id, stream);
    const fin = options.fin ?? false;
    this.#send({ type: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: options.priority ?? 0, fin, unidirectional: false, headers }).catch(
      (error: Error) => stream[kAbort](error),
    );
    if (fin) stream.end();
    return stream;
  }

  /** Round trip of a PING frame. */
  ping(signal?: AbortSignal): Promise<void> {
    if (this.#ended) return Promise.reject(new SpdySessionClosedError('the SPDY session is closed'));
    const id = this.#nextPingId;
    this.#nextPingId = id + 2 > 0x7fffffff ? id + 2 - 0x7ffffffe : id + 2;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#pings.delete(id);
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.#pings.set(id, {
        resolve: () => (done(), resolve()),
        reject: (error) => (done(), reject(error)),
      });
      this.#send({ type: 'PING', id }).catch((error: Error) => {
        this.#pings.delete(id);
        done();
        reject(error);
      });
    });
  }

  /**
   * Closes the session as spdystream does: resets the streams still open, sends GOAWAY and ends the transport once
   * queued frames are written; the transport is destroyed if the peer has not closed it after closeTimeoutMs.
   */
  close(): void {
    if (this.#sentGoAway || this.#ended) return;
    this.#sentGoAway = true;
    for (const stream of [...this.#streams.values()]) stream.reset();
    this.#send({ type: 'GOAWAY', lastGoodStreamId: this.#lastRemoteStreamId, status: GoAwayStatus.OK }).catch(() => undefined);
    void this.#writes.then(() => {
      if (this.#ended) return;
      this.#transport.end();
      setTimeout(() => this.#transport.destroy(), this.#closeTimeoutMs).unref();
    });
  }

  /** Ends the session at once: the transport is destroyed and every stream with it. */
  destroy(error?: Error): void {
    if (error) this.#error ??= error;
    this.#transport.destroy();
  }

  #send(frame: SpdyFrame): Promise<void> {
    if (this.#ended) return Promise.reject(new SpdySessionClosedError('the SPDY session is closed'));
    let encoded: Buffer | Promise<Buffer>;
    try {
      encoded = encodeFrame(frame, this.#compressor);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const write = async () => {
      const bytes = await encoded;
      if (this.#ended || this.#transport.writableEnded) throw new SpdySessionClosedError('the SPDY session is closed');
      if (!this.#transport.write(bytes)) await this.#drained();
    };
    const written = this.#writes.then(write);
    this.#writes = written.catch(() => undefined);
    return written;
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#transport.off('drain', done);
        this.#transport.off('close', done);
        resolve();
      };
      this.#transport.on('drain', done);
      this.#transport.on('close', done);
    });
  }

  #received(chunk: Buffer): void {
    if (this.#ended) return;
    this.#reader.push(chunk);
    for (let raw = this.#reader.next(); raw; raw = this.#reader.next()) this.#inbox.push(raw);
    this.#updateReading();
    void this.#drain();
  }

  // Frames are handled strictly in order; only header blocks make it wait (for zlib).
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let raw = this.#inbox.shift(); raw && !this.#ended; raw = this.#inbox.shift()) {
        const decoded = decodeFrame(raw, this.#decompressor);
        const frame = decoded instanceof Promise ? await decoded : decoded;
        if (frame && !this.#ended) this.#handle(frame);
      }
    } catch (error) {
      this.#protocolError(error as Error);
    } finally {
      this.#draining = false;
      this.#updateReading();
    }
  }

  #handle(frame: SpdyFrame): void {
    switch (frame.type) {
      case 'SYN_STREAM':
        return this.#onSynStream(frame);
      case 'SYN_REPLY': {
        const stream = this.#streams.get(frame.streamId);
        if (!stream?.local) return;
        stream[kReply](frame.headers);
        if (frame.fin) stream[kFin]();
        return;
      }
      case 'HEADERS': {
        const stream = this.#streams.get(frame.streamId);
        if (!stream) return;
        stream[kHeaders](frame.headers);
        if (frame.fin) stream[kFin]();
        return;
      }
      case 'DATA': {
        const stream = this.#streams.get(frame.streamId);
        if (!stream) {
          // Frames still in flight for a stream that has just closed are expected; a stream never opened is not.
          if (!this.#known(frame.streamId)) this.#sendQuietly({ type: 'RST_STREAM', streamId: frame.streamId, status: RstStatus.INVALID_STREAM });
          return;
        }
        stream[kData](frame.data);
        if (frame.fin) stream[kFin]();
        return;
      }
      case 'RST_STREAM':
        this.#streams.get(frame.streamId)?.[kReset](frame.status);
        return;
      case 'PING': {
        const ours = frame.id % 2 === (this.role === 'client' ? 1 : 0);
        if (!ours) return this.#sendQuietly(frame);
        const waiting = this.#pings.get(frame.id);
        this.#pings.delete(frame.id);
        waiting?.resolve();
        return;
      }
      case 'GOAWAY': {
        this.#peerGoneAway = true;
        // Streams this side opened after the last one the peer took will never be served.
        for (const stream of [...this.#streams.values()]) {
          if (stream.local && stream.id > frame.lastGoodStreamId) stream[kAbort](new SpdyStreamResetError(RstStatus.REFUSED_STREAM));
        }
        this.emit('goaway', frame.lastGoodStreamId, frame.status);
        return;
      }
      case 'SETTINGS':
      case 'WINDOW_UPDATE':
        return;
    }
  }

  #onSynStream(frame: Extract<SpdyFrame, { type: 'SYN_STREAM' }>): void {
    if (this.#sentGoAway) return;
    const remoteParity = this.role === 'server' ? 1 : 0;
    if (frame.streamId % 2 !== remoteParity || frame.streamId <= this.#lastRemoteStreamId) {
      this.#sendQuietly({ type: 'RST_STREAM', streamId: frame.streamId, status: RstStatus.PROTOCOL_ERROR });
      return;
    }
    this.#lastRemoteStreamId = frame.streamId;
    const stream = new SpdyStream(this.#owner, frame.streamId, frame.headers, false, { unidirectional: frame.unidirectional });
    this.#streams.set(frame.streamId, stream);
    if (frame.fin) stream[kFin]();
    if (this.listenerCount('stream') === 0) {
      stream.reset(RstStatus.REFUSED_STREAM);
      return;
    }
    this.emit('stream', stream);
  }

  #known(streamId: number): boolean {
    const localParity = this.role === 'client' ? 1 : 0;
    return streamId % 2 === localParity ? streamId < this.#nextStreamId : streamId <= this.#lastRemoteStreamId;
  }

  #sendQuietly(frame: SpdyFrame): void {
    this.#send(frame).catch(() => undefined);
  }

  #protocolError(error: Error): void {
    if (this.#ended) return;
    this.#error ??= error instanceof SpdyProtocolError ? error : new SpdyProtocolError(error.message, { cause: error });
    this.#sendQuietly({ type: 'GOAWAY', lastGoodStreamId: this.#lastRemoteStreamId, status: GoAwayStatus.PROTOCOL_ERROR });
    void this.#writes.then(() => this.#transport.destroy());
  }

  #setBlocked(stream: SpdyStream, blocked: boolean): void {
    if (blocked) this.#blocked.add(stream);
    else this.#blocked.delete(stream);
    this.#updateReading();
  }

  // Stop reading the transport while a stream cannot take more, or decoded frames pile up behind a header block.
  #updateReading(): void {
    const pause = !this.#ended && (this.#blocked.size > 0 || this.#inbox.length > 256);
    if (pause && !this.#paused) this.#transport.pause();
    else if (!pause && this.#paused) this.#transport.resume();
    this.#paused = pause;
  }

  #onTransportClosed(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#inbox.length = 0;
    for (const stream of [...this.#streams.values()]) stream[kAbort]();
    this.#streams.clear();
    this.#blocked.clear();
    for (const { reject } of this.#pings.values()) reject(new SpdySessionClosedError('the SPDY session closed'));
    this.#pings.clear();
    this.#compressor.close();
    this.#decompressor.close();
    this.#resolveClosed(this.#error);
    this.emit('close', this.#error);
  }
}
