// The decoded shape of a DNS message. Names are in presentation form without the trailing dot ("" is the root);
// a label holding a dot, a backslash or an unprintable byte is escaped as `\.`, `\\` or `\DDD`.

export interface Question {
  name: string;
  /** RRType code; any value a client sends. */
  type: number;
  class: number;
}

interface RecordBase {
  name: string;
  /** Default IN. */
  class?: number;
  ttl: number;
  /** Set by the decoder: where this record's TTL sits in the decoded packet (to age cached packets in place). */
  ttlOffset?: number;
}

export type ResourceRecord =
  | (RecordBase & { type: 'A'; address: string })
  | (RecordBase & { type: 'AAAA'; address: string })
  | (RecordBase & { type: 'CNAME' | 'NS' | 'PTR'; target: string })
  | (RecordBase & { type: 'SRV'; priority: number; weight: number; port: number; target: string })
  | (RecordBase & { type: 'MX'; preference: number; exchange: string })
  | (RecordBase & { type: 'TXT'; texts: string[] })
  | (RecordBase & { type: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number })
  /** Any other type, its RDATA kept as received. */
  | (RecordBase & { type: 'UNKNOWN'; code: number; rdata: Uint8Array });

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

/** The OPT pseudo-record (RFC 6891), kept apart from the additional section. */
export interface Edns {
  udpPayloadSize: number;
  /** The upper 8 bits of the 12-bit RCODE. */
  extendedRcode: number;
  version: number;
  dnssecOk: boolean;
  options: EdnsOption[];
}

export interface HeaderFlags {
  /** True in a response. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
}

export interface DnsMessage {
  id: number;
  flags: HeaderFlags;
  /** The full RCODE: header bits, plus the OPT record's extended bits when there is one. */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

export class DnsFormatError extends Error {
  override name = 'DnsFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function emptyFlags(): HeaderFlags {
  return { qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false };
}
