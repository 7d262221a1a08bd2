// Writing X.509 v3 certificates (RFC 5280) with node:crypto keys, and reading back the parts Node does not expose.
import { createHash, randomBytes, sign, type KeyObject, type X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import * as der from './der.ts';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ed25519: '1.3.101.112',
} as const;

export const EXT_KEY_USAGE = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;
export type ExtKeyUsage = keyof typeof EXT_KEY_USAGE;

/** Bit positions of KeyUsage (RFC 5280 4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;
export type KeyUsage = keyof typeof KEY_USAGE;

export class CertificateError extends Error {
  override name = 'CertificateError';
}

export interface DistinguishedName {
  commonName: string;
  organizations?: readonly string[];
}

/** Who signs: the issuer's private key and its exact subject bytes (chain building compares them byte for byte). */
export interface Signer {
  key: KeyObject;
  subjectDer: Buffer;
  /** The issuer's subjectKeyIdentifier, copied into authorityKeyIdentifier. */
  keyId?: Buffer | undefined;
}

export interface CertificateTemplate {
  subject: DistinguishedName;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  keyUsage: readonly KeyUsage[];
  extKeyUsage?: readonly ExtKeyUsage[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  signer: Signer;
}

/** Name ::= SEQUENCE OF RDN, organizations first and CN last, the order Go and kubeadm write. */
export function encodeName(name: DistinguishedName): Buffer {
  const rdn = (type: string, value: string) => der.set(der.sequence(der.oid(type), der.utf8String(value)));
  return der.sequence(...(name.organizations ?? []).map((o) => rdn(OID.organization, o)), rdn(OID.commonName, name.commonName));
}

/** A random positive serial of at most 16 octets whose first octet is non-zero (so DER needs no padding). */
export function randomSerial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes;
}

/** SHA-1 over the subjectPublicKey bits: the key identifier method of RFC 5280 4.2.1.2 (what Go uses too). */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = der.read(publicKey.export({ type: 'spki', format: 'der' }));
  const bits = der.children(spki)[1];
  if (!bits || bits.tag !== der.TAG.bitString) throw new CertificateError('unexpected SubjectPublicKeyInfo layout');
  return createHash('sha1').update(bits.content.subarray(1)).digest();
}

export function ipToBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new CertificateError(`not an IP address: ${ip}`);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const groups = rest === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function signatureAlgorithm(key: KeyObject): { identifier: Buffer; digest: string | null } {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return { identifier: der.sequence(der.oid(OID.ecdsaWithSHA384)), digest: 'sha384' };
      return { identifier: der.sequence(der.oid(OID.ecdsaWithSHA256)), digest: 'sha256' };
    }
    case 'rsa':
      return { identifier: der.sequence(der.oid(OID.sha256WithRSAEncryption), der.derNull()), digest: 'sha256' };
    case 'ed25519':
      return { identifier: der.sequence(der.oid(OID.ed25519)), digest: null };
    default:
      throw new CertificateError(`unsupported signing key type: ${String(key.asymmetricKeyType)}`);
  }
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a BOOLEAN that equals its DEFAULT (critical FALSE).
  return critical ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(id), der.octetString(value));
}

/** The signer of a self-signed certificate (no authorityKeyIdentifier, as Go writes them). */
export function selfSigner(subject: DistinguishedName, privateKey: KeyObject): Signer {
  return { key: privateKey, subjectDer: encodeName(subject) };
}

/** Builds and signs a certificate; returns its DER bytes. */
export function createCertificate(template: CertificateTemplate): Buffer {
  const { signer } = template;
  const subjectDer = encodeName(template.subject);
  const ownKeyId = keyIdentifier(template.publicKey);
  const extensions = [
    extension(OID.basicConstraints, true, template.isCA ? der.sequence(der.boolean(true)) : der.sequence()),
    extension(OID.keyUsage, true, der.namedBits(template.keyUsage.map((u) => KEY_USAGE[u]))),
  ];
  if (template.extKeyUsage?.length) {
    extensions.push(extension(OID.extKeyUsage, false, der.sequence(...template.extKeyUsage.map((u) => der.oid(EXT_KEY_USAGE[u])))));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(ownKeyId)));
  if (signer.keyId) {
    extensions.push(extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, signer.keyId))));
  }
  const names = [
    ...(template.dnsNames ?? []).map((n) => der.implicit(2, Buffer.from(n, 'ascii'))),
    ...(template.ipAddresses ?? []).map((ip) => der.implicit(7, ipToBytes(ip))),
  ];
  if (names.length) extensions.push(extension(OID.subjectAltName, false, der.sequence(...names)));

  const algorithm = signatureAlgorithm(signer.key);
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(randomSerial()),
    algorithm.identifier,
    signer.subjectDer,
    der.sequence(der.time(template.notBefore), der.time(template.notAfter)),
    subjectDer,
    template.publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign(algorithm.digest, tbs, signer.key);
  return der.sequence(tbs, algorithm.identifier, der.bitString(signature));
}

export function derToPem(bytes: Buffer, label = 'CERTIFICATE'): string {
  const lines = bytes.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface ExtensionInfo {
  critical: boolean;
  value: Buffer;
}

/** The parts of a certificate Node's X509Certificate does not give: raw subject and the extensions by OID. */
export function inspectCertificate(cert: X509Certificate): { subjectDer: Buffer; extensions: Map<string, ExtensionInfo>; subjectKeyId?: Buffer } {
  const tbs = der.children(der.read(cert.raw))[0];
  if (!tbs) throw new CertificateError('certificate without tbsCertificate');
  const fields = der.children(tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // version is optional (v1)
  const subject = fields[offset + 4];
  if (!subject) throw new CertificateError('certificate without subject');
  const extensions = new Map<string, ExtensionInfo>();
  const wrapped = fields.find((f) => f.tag === 0xa3);
  const list = wrapped ? der.children(wrapped)[0] : undefined;
  for (const ext of list ? der.children(list) : []) {
    const parts = der.children(ext);
    const id = parts[0];
    const last = parts[parts.length - 1];
    if (!id || !last || parts.length < 2) continue;
    const critical = parts.length === 3 && parts[1]?.content[0] === 0xff;
    extensions.set(der.decodeOid(id.content), { critical, value: last.content });
  }
  const ski = extensions.get(OID.subjectKeyIdentifier);
  const result: { subjectDer: Buffer; extensions: Map<string, ExtensionInfo>; subjectKeyId?: Buffer } = { subjectDer: subject.raw, extensions };
  if (ski) result.subjectKeyId = der.read(ski.value).content;
  return result;
}

export { OID as X509_OID };
