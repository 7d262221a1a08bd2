// Cluster DNS (CoreDNS's kubernetes, forward and cache plugins) and the DNS wire codec.
export { ClusterDNS, DnsListenError, type ClusterDNSOptions } from './server.ts';
export { decodeMessage } from './decode.ts';
export { encodeMessage, type EncodeOptions } from './encode.ts';
export { DnsFormatError, type DnsMessage, type Question, type ResourceRecord, type Edns } from './message.ts';
export { RRType, RRClass, Rcode } from './constants.ts';
export { reverseName } from './ip.ts';
