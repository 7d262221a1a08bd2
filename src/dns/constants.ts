// DNS wire constants (RFC 1035, 2782, 3596, 6891).

/** Resource record type codes. */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, CH: 3, ANY: 255 } as const;

export const Opcode = { QUERY: 0 } as const;

/** Response codes; BADVERS (16) only travels split between the header and the OPT record. */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

/** Without EDNS, a UDP message is at most 512 bytes (RFC 1035 4.2.1). */
export const MIN_UDP_SIZE = 512;
/** The largest UDP payload Skiff answers with, whatever a client advertises. */
export const MAX_UDP_SIZE = 4096;
export const HEADER_SIZE = 12;
