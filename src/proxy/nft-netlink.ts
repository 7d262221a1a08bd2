// The element half of an nftables sync, as nf_tables netlink messages instead of `nft -f` text. `nft` 1.0.6 spends
// ≥ 8 µs and ~1.7 KB on every element it parses and encodes (10,000 Services × 10 endpoints: ~2 s); written here
// straight into one buffer, the same batch costs the kernel a small part of that. The messages follow the kernel's
// uapi (include/uapi/linux/netfilter/nf_tables.h, nfnetlink.h); nfnl-send.c puts the batch on a netlink socket.
//
// Only what a sync's last transaction does to existing objects is encoded: element adds and deletes, map and set
// flushes, chain flushes and set deletes. Tables, chains, rules and sets are still created with `nft -f`.
//
// Netlink is host-endian: this encoder writes little-endian only (x86-64, arm64); nfnl-helper.ts offers no helper on
// a big-endian host, and the elements then go as `nft` text.
import { getSystemErrorMap } from 'node:util';
import { NFT_TABLE, T, groupElements, hairpinKey, isSetContainer, type ElementContainer, type EndpointMap, type HAIRPIN_SET, type NftEndpointGroup } from './nft-rules.ts';

/** One operation of the transaction that switches elements over, in the order it is applied. */
export type NftBatchOp =
  | { op: 'add' | 'delete'; container: ElementContainer; elements: readonly (readonly [key: string, value: string])[] }
  | { op: 'add groups'; container: EndpointMap; groups: readonly NftEndpointGroup[] }
  /** The hairpin set's "ADDRESS . ADDRESS" elements, by address. */
  | { op: 'add pairs'; container: typeof HAIRPIN_SET; ips: readonly string[] }
  | { op: 'flush'; container: ElementContainer }
  | { op: 'flush chain'; chain: string }
  | { op: 'delete set'; set: string };

/** Elements per `add element` command in text: one command per element would cost nft far more parsing. */
const ELEMENTS_PER_COMMAND = 2000;

/** The ops as `nft -f` lines (for when the netlink helper is not available, and to describe a failed op). */
export function batchOpsText(ops: readonly NftBatchOp[]): string[] {
  const lines: string[] = [];
  for (const o of ops) {
    if (o.op === 'flush') lines.push(`flush ${isSetContainer(o.container) ? 'set' : 'map'} ${T} ${o.container}`);
    else if (o.op === 'flush chain') lines.push(`flush chain ${T} ${o.chain}`);
    else if (o.op === 'delete set') lines.push(`delete set ${T} ${o.set}`);
    else {
      const items =
        o.op === 'add groups' ? o.groups.flatMap((g) => groupElements(g).map((e) => `${e.key}${e.value}`))
        : o.op === 'add pairs' ? o.ips.map(hairpinKey)
        : o.elements.map(([k, v]) => (o.op === 'add' ? `${k}${v}` : k));
      const verb = o.op === 'delete' ? 'delete' : 'add';
      for (let i = 0; i < items.length; i += ELEMENTS_PER_COMMAND) {
        lines.push(`${verb} element ${T} ${o.container} { ${items.slice(i, i + ELEMENTS_PER_COMMAND).join(', ')} }`);
      }
    }
  }
  return lines;
}

// --- uapi constants ---------------------------------------------------------------------------------------------
const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG_DELRULE = 8;
const NFT_MSG_DELSET = 11;
const NFT_MSG_NEWSETELEM = 12;
const NFT_MSG_DELSETELEM = 14;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_CREATE = 0x400;
const NLA_F_NESTED = 0x8000;
const NFPROTO_IPV4 = 2;
// nfgenmsg is followed by attributes of the message's kind (numbers per kind, from nf_tables.h).
const NFTA_RULE_TABLE = 1;
const NFTA_RULE_CHAIN = 2;
const NFTA_SET_TABLE = 1;
const NFTA_SET_NAME = 2;
const NFTA_SET_ELEM_LIST_TABLE = 1;
const NFTA_SET_ELEM_LIST_SET = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_SET_ELEM_DATA = 2;
const NFTA_SET_ELEM_USERDATA = 6;
const NFTA_DATA_VALUE = 1;
const NFTA_DATA_VERDICT = 2;
const NFTA_VERDICT_CODE = 1;
const NFTA_VERDICT_CHAIN = 2;
/** libnftnl's NFTNL_UDATA_SET_ELEM_COMMENT: an element's comment, as nft stores it (type, length, text with NUL). */
const UDATA_SET_ELEM_COMMENT = 0;
const VERDICTS: Record<string, number> = { accept: 1, drop: 0, continue: -1, return: -5 };
const CHAIN_VERDICTS: Record<string, number> = { jump: -3, goto: -4 };
const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };
const PROTOCOL_NAMES = Object.keys(PROTOCOLS);
/** An attribute holds at most 65,535 bytes (its length is 16 bits): a message's element list stays below. */
const MAX_ELEMENTS_BYTES = 60_000;

/**
 * The fields of a container's keys and (for maps) values, each padded to 4 bytes as the kernel's registers are:
 * addresses, protocol numbers, ports in network order, and `numgen` indices in host order.
 */
type Field = 'ip' | 'proto' | 'port' | 'index';
interface Layout {
  key: readonly Field[];
  /** undefined: a set; 'verdict': a verdict map. */
  data?: readonly Field[] | 'verdict';
}

function containerLayout(c: ElementContainer): Layout {
  if (c === 'cluster-ips') return { key: ['ip'] };
  if (c === 'hairpin-endpoints') return { key: ['ip', 'ip'] };
  if (c.endsWith('-service-endpoints')) return { key: ['ip', 'port', 'index'], data: ['ip', 'port'] };
  if (c.endsWith('-nodeport-endpoints')) return { key: ['port', 'index'], data: ['ip', 'port'] };
  if (c === 'service-nodeports' || c === 'no-endpoint-nodeports') return { key: ['proto', 'port'], data: 'verdict' };
  return { key: ['ip', 'proto', 'port'], data: 'verdict' };
}

const SPACE = 32;
const DOT = 46;
const COLON = 58;
const ZERO = 48;

/** Where the last scanNumber stopped (a module variable, not a closure: this runs ~500,000 times a full sync). */
let scanEnd = 0;

/** The decimal number at text[from…], setting scanEnd after it; -1 when there is none or it is over max. */
function scanNumber(text: string, from: number, max: number): number {
  let v = 0;
  let i = from;
  for (let c = text.charCodeAt(i); c >= ZERO && c <= ZERO + 9 && i - from < 10; c = text.charCodeAt(++i)) v = v * 10 + c - ZERO;
  scanEnd = i;
  return i === from || v > max ? -1 : v;
}

function badElement(text: string, what: string): Error {
  return new Error(`nft element ${what} "${text}" does not fit its set's type`);
}

/** A growing buffer of netlink messages, also seen as 32-bit words (attributes start and end on 4-byte bounds). */
class Writer {
  buf!: Buffer;
  words!: Int32Array;
  pos = 0;
  constructor(size: number) {
    this.#allocate(size);
  }
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const old = this.buf;
    this.#allocate(Math.max(old.length * 2, this.pos + n));
    old.copy(this.buf, 0, 0, this.pos);
  }
  #allocate(size: number): void {
    const bytes = new ArrayBuffer((size + 3) & ~3);
    this.buf = Buffer.from(bytes);
    this.words = new Int32Array(bytes);
  }
  u16le(v: number, at: number): void {
    this.buf[at] = v & 255;
    this.buf[at + 1] = v >>> 8;
  }
  /** Starts an attribute; returns its offset for end(). */
  begin(type: number): number {
    this.room(4);
    const at = this.pos;
    this.u16le(type, at + 2);
    this.pos += 4;
    return at;
  }
  /** Ends the attribute begun at `at`: writes its length and pads to 4 bytes. */
  end(at: number): void {
    this.u16le(this.pos - at, at);
    while (this.pos & 3) this.buf[this.pos++] = 0;
  }
  string(type: number, s: string): void {
    const at = this.begin(type);
    const n = Buffer.byteLength(s);
    this.room(n + 4);
    this.buf.write(s, this.pos);
    this.buf[this.pos + n] = 0;
    this.pos += n + 1;
    this.end(at);
  }
  u32be(type: number, v: number): void {
    const at = this.begin(type);
    this.room(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    this.end(at);
  }
  /** A key or value: attribute `type` holding NFTA_DATA_VALUE with the fields read from text[from…]. */
  fields(type: number, layout: readonly Field[], text: string, from: number, what: string): void {
    const outer = this.begin(type);
    const at = this.begin(NFTA_DATA_VALUE);
    this.slots(layout, text, from, what);
    this.end(at);
    this.end(outer);
  }
  /**
   * The fields read from text[from…] (" . " between them, as the syncer writes them), each in a 4-byte slot. Scanned
   * by hand: a full sync writes ~150,000 of these.
   */
  slots(layout: readonly Field[], text: string, from: number, what: string): void {
    this.room(layout.length * 4);
    const buf = this.buf;
    let i = from;
    for (let f = 0; f < layout.length; f++) {
      if (f > 0) {
        if (text.charCodeAt(i) !== SPACE || text.charCodeAt(i + 1) !== DOT || text.charCodeAt(i + 2) !== SPACE) throw badElement(text, what);
        i += 3;
      }
      const slot = this.pos;
      buf[slot] = buf[slot + 1] = buf[slot + 2] = buf[slot + 3] = 0;
      switch (layout[f]) {
        case 'ip': {
          const address = ipv4WordAt(text, i);
          if (address < 0) throw badElement(text, what);
          i = scanEnd;
          buf.writeUInt32LE(address, slot);
          break;
        }
        case 'proto': {
          let name: string | undefined;
          for (const p of PROTOCOL_NAMES) if (text.startsWith(p, i)) name = p;
          if (!name) throw badElement(text, what);
          buf[slot] = PROTOCOLS[name]!;
          i += name.length;
          break;
        }
        case 'port': {
          const v = scanNumber(text, i, 0xffff);
          if (v < 0) throw badElement(text, what);
          i = scanEnd;
          buf[slot] = v >>> 8;
          buf[slot + 1] = v & 255;
          break;
        }
        case 'index': {
          const v = scanNumber(text, i, 0xffffffff);
          if (v < 0) throw badElement(text, what);
          i = scanEnd;
          buf.writeUInt32LE(v, slot);
          break;
        }
      }
      this.pos += 4;
    }
    if (i !== text.length) throw badElement(text, what);
  }
  zeros(n: number): void {
    this.room(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
  /**
   * An endpoint group's element at `index`: the group's template (its first `n` words: every attribute header and
   * the key's prefix, from groupTemplate) with the index, address and port written in, word by word (a full sync
   * writes 100,000 of these).
   */
  groupElement(template: Int32Array, n: number, index: number, ip: string, port: number): void {
    this.room(n * 4);
    const words = this.words;
    const at = this.pos >>> 2;
    for (let k = 0; k < n; k++) words[at + k] = template[k]!;
    const address = ipv4Word(ip);
    if (address < 0 || !(port >= 0 && port <= 0xffff)) throw badElement(`${ip} . ${port}`, 'value');
    words[at + n - 5] = index;
    words[at + n - 2] = address;
    words[at + n - 1] = (port >>> 8) | ((port & 255) << 8);
    this.pos += n * 4;
  }
  /** The element "ip . ip" of a set of address pairs: LIST_ELEM { KEY { VALUE { ip, ip } } }. */
  pair(ip: string): void {
    this.room(20);
    const address = ipv4Word(ip);
    if (address < 0) throw badElement(hairpinKey(ip), 'key');
    const words = this.words;
    const at = this.pos >>> 2;
    words[at] = attributeHeader(20, NFTA_LIST_ELEM | NLA_F_NESTED);
    words[at + 1] = attributeHeader(16, NFTA_SET_ELEM_KEY | NLA_F_NESTED);
    words[at + 2] = attributeHeader(12, NFTA_DATA_VALUE);
    words[at + 3] = words[at + 4] = address;
    this.pos += 20;
  }
}

/** An attribute's header (length, type) as one little-endian word. */
function attributeHeader(length: number, type: number): number {
  return length | (type << 16);
}

/**
 * The IPv4 address at text[from…] as the little-endian word whose bytes are in network order, setting scanEnd after
 * it; -1 if there is none.
 */
function ipv4WordAt(text: string, from: number): number {
  let word = 0;
  let i = from;
  for (let o = 0; o < 4; o++) {
    if (o > 0 && text.charCodeAt(i++) !== DOT) return -1;
    const v = scanNumber(text, i, 255);
    if (v < 0) return -1;
    i = scanEnd;
    word |= v << (8 * o);
  }
  scanEnd = i;
  return word >>> 0;
}

/** The IPv4 address `text`, all of it, as ipv4WordAt reads it; -1 if it is not one. */
function ipv4Word(text: string): number {
  const word = ipv4WordAt(text, 0);
  return word >= 0 && scanEnd === text.length ? word : -1;
}


const templateWriter = new Writer(128);

/**
 * The words every element of a group shares, in the order groupElement fills them: LIST_ELEM { KEY { VALUE { prefix
 * fields, index } }, DATA { VALUE { address, port } } }, with the index, address and port left zero. `fields`: the
 * key's layout without its last field (the index). Written into templateWriter; resolves with the word count.
 */
function groupTemplate(fields: readonly Field[], prefix: string): number {
  const w = templateWriter;
  w.pos = 0;
  const at = w.begin(NFTA_LIST_ELEM | NLA_F_NESTED);
  const key = w.begin(NFTA_SET_ELEM_KEY | NLA_F_NESTED);
  const keyValue = w.begin(NFTA_DATA_VALUE);
  w.slots(fields, prefix, 0, 'key');
  w.zeros(4);
  w.end(keyValue);
  w.end(key);
  const data = w.begin(NFTA_SET_ELEM_DATA | NLA_F_NESTED);
  const dataValue = w.begin(NFTA_DATA_VALUE);
  w.zeros(8);
  w.end(dataValue);
  w.end(data);
  w.end(at);
  return w.pos >>> 2;
}

function writeVerdict(w: Writer, verdict: string): void {
  const at = w.begin(NFTA_SET_ELEM_DATA | NLA_F_NESTED);
  const v = w.begin(NFTA_DATA_VERDICT | NLA_F_NESTED);
  const space = verdict.indexOf(' ');
  const word = space < 0 ? verdict : verdict.slice(0, space);
  const chain = space < 0 ? '' : verdict.slice(space + 1);
  if (chain && !chain.includes(' ') && CHAIN_VERDICTS[word] !== undefined) {
    w.u32be(NFTA_VERDICT_CODE, CHAIN_VERDICTS[word]!);
    w.string(NFTA_VERDICT_CHAIN, chain);
  } else if (space < 0 && VERDICTS[word] !== undefined) {
    w.u32be(NFTA_VERDICT_CODE, VERDICTS[word]!);
  } else {
    throw new Error(`nft verdict "${verdict}" is not one of accept, drop, continue, return, jump CHAIN, goto CHAIN`);
  }
  w.end(v);
  w.end(at);
}

/** Where a map value's data starts, after ` : ` or ` comment "TEXT" : `; and the comment's bounds, if any. */
function valueStart(value: string): { data: number; comment?: [number, number] } {
  let i = 0;
  let comment: [number, number] | undefined;
  if (value.startsWith(' comment "')) {
    const close = value.indexOf('"', 10);
    if (close < 0) throw badElement(value, 'value');
    comment = [10, close];
    i = close + 1;
  }
  if (value.charCodeAt(i) !== SPACE || value.charCodeAt(i + 1) !== COLON || value.charCodeAt(i + 2) !== SPACE) throw badElement(value, 'value');
  return comment ? { data: i + 3, comment } : { data: i + 3 };
}

/**
 * An element: its key, and for maps its value. A verdict map's values repeat (every Service with ten endpoints goes to
 * the same pick chain), so each is encoded once per batch and copied after (`verdicts`).
 */
function writeElement(w: Writer, layout: Layout, key: string, value: string | undefined, verdicts: Map<string, Uint8Array>): void {
  const at = w.begin(NFTA_LIST_ELEM | NLA_F_NESTED);
  w.fields(NFTA_SET_ELEM_KEY | NLA_F_NESTED, layout.key, key, 0, 'key');
  if (value !== undefined && layout.data === 'verdict') {
    const bytes = verdicts.get(value);
    if (bytes) {
      w.room(bytes.length);
      w.buf.set(bytes, w.pos);
      w.pos += bytes.length;
    } else {
      const from = w.pos;
      writeValue(w, layout, value);
      verdicts.set(value, Buffer.from(w.buf.subarray(from, w.pos)));
    }
  } else if (value !== undefined) {
    writeValue(w, layout, value);
  }
  w.end(at);
}

/** A map element's data (verdict, or fields) and its comment, if any. */
function writeValue(w: Writer, layout: Layout, value: string): void {
  if (layout.data) {
    const { data, comment } = valueStart(value);
    if (layout.data === 'verdict') writeVerdict(w, value.slice(data));
    else w.fields(NFTA_SET_ELEM_DATA | NLA_F_NESTED, layout.data, value, data, 'value');
    if (comment) {
      const text = Buffer.from(`${value.slice(comment[0], comment[1])}\0`);
      if (text.length > 255) throw new Error(`nft element comment "${value.slice(comment[0], comment[1])}" is longer than 254 bytes`);
      const ud = w.begin(NFTA_SET_ELEM_USERDATA);
      w.room(2 + text.length);
      w.buf[w.pos] = UDATA_SET_ELEM_COMMENT;
      w.buf[w.pos + 1] = text.length;
      text.copy(w.buf, w.pos + 2);
      w.pos += 2 + text.length;
      w.end(ud);
    }
  }
}

export interface EncodedBatch {
  bytes: Buffer;
  /** The sequence numbers of the messages between begin and end, each with the op it belongs to. */
  messages: Map<number, NftBatchOp>;
}

/**
 * Messages going into one batch: each numbered (its sequence number maps back to its op, for errors), its length
 * written once it is complete. Element lists are kept open across elements and closed when full.
 */
class BatchWriter {
  readonly w: Writer;
  readonly messages = new Map<number, NftBatchOp>();
  #seq = 0;
  /** The open element-list message and its list attribute (-1: none open). */
  #listMessage = -1;
  #list = 0;

  constructor(capacity: number) {
    this.w = new Writer(capacity);
  }

  /** Starts a message (nlmsghdr and nfgenmsg); returns its offset for finish(). */
  message(type: number, flags: number, family: number, resId: number): number {
    const w = this.w;
    w.room(20);
    const at = w.pos;
    w.buf.writeUInt32LE(0, at); // length, once known
    w.buf.writeUInt16LE(type, at + 4);
    w.buf.writeUInt16LE(flags, at + 6);
    w.buf.writeUInt32LE(++this.#seq, at + 8);
    w.buf.writeUInt32LE(0, at + 12);
    w.buf[at + 16] = family;
    w.buf[at + 17] = 0; // NFNETLINK_V0
    w.buf.writeUInt16BE(resId, at + 18);
    w.pos += 20;
    return at;
  }

  finish(at: number): void {
    this.w.buf.writeUInt32LE(this.w.pos - at, at);
  }

  /** Starts an nf_tables message for `o`, acknowledged by the kernel. */
  nft(type: number, o: NftBatchOp, extraFlags = 0): number {
    const at = this.message((NFNL_SUBSYS_NFTABLES << 8) | type, NLM_F_REQUEST | NLM_F_ACK | extraFlags, NFPROTO_IPV4, 0);
    this.messages.set(this.#seq, o);
    return at;
  }

  /** Makes sure an element list message for `o` is open (a message holds as many elements as fit, the next the rest). */
  openList(o: NftBatchOp & { container: string }): void {
    if (this.#listMessage >= 0) return;
    const type = o.op === 'delete' ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM;
    this.#listMessage = this.nft(type, o, type === NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
    this.w.string(NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
    this.w.string(NFTA_SET_ELEM_LIST_SET, o.container);
    this.#list = this.w.begin(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
  }

  /** Closes the open element list once it is near the 16-bit attribute limit (or always, with `force`). */
  closeList(force = false): void {
    if (this.#listMessage < 0 || (!force && this.w.pos - this.#list < MAX_ELEMENTS_BYTES)) return;
    this.w.end(this.#list);
    this.finish(this.#listMessage);
    this.#listMessage = -1;
  }
}

// One function per kind of element list, each small: V8 optimizes a small hot loop long before one inside a large
// function (a full sync runs each loop once, cold, over up to 100,000 elements).

function writeGroups(b: BatchWriter, o: NftBatchOp & { op: 'add groups' }): void {
  const prefixFields = containerLayout(o.container).key.slice(0, -1);
  const w = b.w;
  for (let k = 0; k < o.groups.length; k++) {
    const g = o.groups[k]!;
    const n = groupTemplate(prefixFields, g.prefix);
    for (let i = 0; i < g.ips.length; i++) {
      b.openList(o);
      w.groupElement(templateWriter.words, n, i, g.ips[i]!, g.ports[i]!);
      b.closeList();
    }
  }
}

function writePairs(b: BatchWriter, o: NftBatchOp & { op: 'add pairs' }): void {
  for (let k = 0; k < o.ips.length; k++) {
    b.openList(o);
    b.w.pair(o.ips[k]!);
    b.closeList();
  }
}

function writeElements(b: BatchWriter, o: NftBatchOp & { op: 'add' | 'delete' }, verdicts: Map<string, Uint8Array>): void {
  const layout = containerLayout(o.container);
  for (let k = 0; k < o.elements.length; k++) {
    const [key, value] = o.elements[k]!;
    b.openList(o);
    writeElement(b.w, layout, key, o.op === 'add' ? value : undefined, verdicts);
    b.closeList();
  }
}

/** The ops as one nf_tables batch: BATCH_BEGIN, a message per op (element lists split to fit), BATCH_END. */
export function encodeBatch(ops: readonly NftBatchOp[]): EncodedBatch {
  // Sized for the usual elements (40-60 bytes each) so a full sync's buffer is not copied as it grows.
  let elements = 0;
  for (const o of ops) {
    if (o.op === 'add' || o.op === 'delete') elements += o.elements.length;
    else if (o.op === 'add groups') for (const g of o.groups) elements += g.ips.length;
    else if (o.op === 'add pairs') elements += o.ips.length;
  }
  const b = new BatchWriter(65_536 + elements * 56);
  const w = b.w;
  const verdicts = new Map<string, Uint8Array>();
  b.finish(b.message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 0, NFNL_SUBSYS_NFTABLES));
  for (const o of ops) {
    if (o.op === 'flush chain') {
      const at = b.nft(NFT_MSG_DELRULE, o);
      w.string(NFTA_RULE_TABLE, NFT_TABLE);
      w.string(NFTA_RULE_CHAIN, o.chain);
      b.finish(at);
    } else if (o.op === 'delete set') {
      const at = b.nft(NFT_MSG_DELSET, o);
      w.string(NFTA_SET_TABLE, NFT_TABLE);
      w.string(NFTA_SET_NAME, o.set);
      b.finish(at);
    } else if (o.op === 'flush') {
      // DELSETELEM without an element list empties the set.
      const at = b.nft(NFT_MSG_DELSETELEM, o);
      w.string(NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
      w.string(NFTA_SET_ELEM_LIST_SET, o.container);
      b.finish(at);
    } else {
      if (o.op === 'add groups') writeGroups(b, o);
      else if (o.op === 'add pairs') writePairs(b, o);
      else writeElements(b, o, verdicts);
      b.closeList(true);
    }
  }
  b.finish(b.message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 0, NFNL_SUBSYS_NFTABLES));
  return { bytes: w.buf.subarray(0, w.pos), messages: b.messages };
}

/** What nfnl-send printed: the first errors, described, or null when every message was acknowledged. */
export function batchFailure(batch: EncodedBatch, output: string): string | null {
  const acked = new Set<number>();
  const errors: string[] = [];
  const names = getSystemErrorMap();
  for (const line of output.split('\n')) {
    const m = /^(\d+) (\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [seq, errno, text] = [Number(m[1]), Number(m[2]), m[3]!];
    if (errno === 0) {
      acked.add(seq);
      continue;
    }
    const o = batch.messages.get(seq);
    const what = o ? describe(o) : `message ${seq}`;
    const [name, message] = names.get(-errno) ?? [`errno ${errno}`, 'unknown error'];
    if (errors.length < 5) errors.push(`${what}: ${message} (${name}${text !== '-' ? `: ${text}` : ''})`);
  }
  if (errors.length) return errors.join('\n');
  const missing = [...batch.messages.keys()].filter((s) => !acked.has(s));
  return missing.length ? `the kernel acknowledged ${batch.messages.size - missing.length} of ${batch.messages.size} nf_tables messages` : null;
}

function describe(o: NftBatchOp): string {
  if (o.op === 'add groups') return `add element ${T} ${o.container} (${o.groups.length} endpoint groups, first ${o.groups[0]?.prefix ?? 'none'})`;
  if (o.op === 'add' || o.op === 'delete') {
    const first = o.elements[0];
    return `${o.op} element ${T} ${o.container} (${o.elements.length} elements, first ${first ? first[0] : 'none'})`;
  }
  return batchOpsText([o])[0]!;
}
