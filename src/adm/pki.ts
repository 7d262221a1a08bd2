// The cluster's PKI: a CA, the apiserver's serving certificate, the admin client certificate and the service-account
// signing key pair, kept in <dir>/pki/ under kubeadm's file names. Generated at first start, loaded (and renewed when
// needed) later.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createCertificate,
  derToPem,
  inspectCertificate,
  keyIdentifier,
  selfSigner,
  type DistinguishedName,
  type ExtKeyUsage,
  type Signer,
} from './x509.ts';

export interface PKI {
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  /** The key that signs service-account tokens (RSA 2048, PKCS#1 PEM, as kubeadm writes sa.key). */
  saKeyPem: string;
  /** Its public half (PKIX PEM): what verifies those tokens. */
  saPubPem: string;
}

export interface EnsurePKIOptions {
  /** DNS names and IP addresses the serving certificate must cover, beyond the built-in ones. */
  hosts: readonly string[];
}

export interface SignedCertificate {
  certPem: string;
  keyPem: string;
}

export class PKIError extends Error {
  override name = 'PKIError';
}

export const PKI_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'apiserver.crt',
  serverKey: 'apiserver.key',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
  saKey: 'sa.key',
  saPub: 'sa.pub',
} as const;

/** Names every apiserver answers to: loopback, the in-cluster Service's DNS names, and its ClusterIP in the default range. */
export const DEFAULT_SERVING_HOSTS = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
  '127.0.0.1',
  '::1',
  '10.96.0.1',
] as const;

export const ADMIN_SUBJECT: DistinguishedName = { commonName: 'kubernetes-admin', organizations: ['system:masters'] };
const CA_SUBJECT: DistinguishedName = { commonName: 'kubernetes' };
const SERVER_SUBJECT: DistinguishedName = { commonName: 'kube-apiserver' };

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** Leaf certificates closer than this to expiry are reissued at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Tolerates clocks a little behind ours. */
const BACKDATE_MS = 60 * 1000;

const generateKeyPairAsync = promisify(generateKeyPair);

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

async function newKey(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
}

const keyToPem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** kubeadm signs service-account tokens with RSA 2048 (RS256). */
const SA_KEY_BITS = 2048;

// ---- the CA, parsed once per use ----

interface CA {
  cert: X509Certificate;
  key: KeyObject;
  signer: Signer;
}

function parseCA(certPem: string, keyPem: string): CA {
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certPem);
    key = createPrivateKey(keyPem);
  } catch (cause) {
    throw new PKIError('cannot parse the CA certificate or key', { cause });
  }
  if (!cert.ca) throw new PKIError('the CA certificate is not a CA (basicConstraints CA:FALSE)');
  if (!cert.checkPrivateKey(key)) throw new PKIError('the CA key does not match the CA certificate');
  const { subjectDer, subjectKeyId } = inspectCertificate(cert);
  return { cert, key, signer: { key, subjectDer, keyId: subjectKeyId ?? keyIdentifier(cert.publicKey) } };
}

function createCAFromKey(key: KeyObject): string {
  const der = createCertificate({
    subject: CA_SUBJECT,
    publicKey: createPublicKey(key),
    ...validity(CA_DAYS),
    isCA: true,
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
    signer: selfSigner(CA_SUBJECT, key),
  });
  return derToPem(der);
}

interface IssueRequest {
  subject: DistinguishedName;
  usage: readonly ExtKeyUsage[];
  days: number;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
}

async function issue(ca: CA, request: IssueRequest): Promise<SignedCertificate> {
  const { privateKey, publicKey } = await newKey();
  const der = createCertificate({
    subject: request.subject,
    publicKey,
    ...validity(request.days),
    isCA: false,
    keyUsage: ['digitalSignature'],
    extKeyUsage: request.usage,
    dnsNames: request.dnsNames ?? [],
    ipAddresses: request.ipAddresses ?? [],
    signer: ca.signer,
  });
  return { certPem: derToPem(der), keyPem: keyToPem(privateKey) };
}

// ---- hosts ----

function normalizeHost(host: string): string {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (isIP(h)) return h;
  h = h.toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*$/.test(h)) throw new PKIError(`not a valid DNS name or IP address for the serving certificate: "${host}"`);
  return h;
}

function splitHosts(hosts: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const all = [...new Set([...DEFAULT_SERVING_HOSTS, ...hosts].filter((h) => h.trim() !== '').map(normalizeHost))];
  return { dnsNames: all.filter((h) => !isIP(h)), ipAddresses: all.filter((h) => isIP(h)) };
}

function coversHosts(cert: X509Certificate, hosts: { dnsNames: string[]; ipAddresses: string[] }): boolean {
  return (
    hosts.dnsNames.every((name) => cert.checkHost(name, { wildcards: false }) !== undefined) &&
    hosts.ipAddresses.every((ip) => cert.checkIP(ip) !== undefined)
  );
}

// ---- files ----

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Write-then-rename, so a crash never leaves half a PEM behind. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

async function loadOrCreateCA(pkiDir: string): Promise<{ certPem: string; keyPem: string; ca: CA }> {
  const certPath = join(pkiDir, PKI_FILES.caCert);
  const keyPath = join(pkiDir, PKI_FILES.caKey);
  let [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  if (certPem !== undefined && keyPem === undefined) {
    throw new PKIError(`found ${certPath} but not ${keyPath}: Skiff needs the CA key to issue certificates`);
  }
  if (keyPem === undefined) {
    const { privateKey } = await newKey();
    keyPem = keyToPem(privateKey);
    await writeAtomic(keyPath, keyPem, 0o600);
  }
  if (certPem === undefined) {
    // Also reached when only the key survived: re-signing the same key and subject keeps issued certificates valid.
    certPem = createCAFromKey(createPrivateKey(keyPem));
    await writeAtomic(certPath, certPem, 0o644);
  }
  const ca = parseCA(certPem, keyPem);
  if (Date.parse(ca.cert.validTo) <= Date.now()) throw new PKIError(`the CA certificate ${certPath} expired on ${ca.cert.validTo}`);
  return { certPem, keyPem, ca };
}

/**
 * The service-account signing key pair, created once like the CA. sa.pub is derived from sa.key, so it is rewritten
 * when missing or stale; sa.pub without sa.key is an error (tokens verified elsewhere against it would break).
 */
async function loadOrCreateServiceAccountKey(pkiDir: string): Promise<{ keyPem: string; pubPem: string }> {
  const keyPath = join(pkiDir, PKI_FILES.saKey);
  const pubPath = join(pkiDir, PKI_FILES.saPub);
  let [keyPem, pubPem] = await Promise.all([readOptional(keyPath), readOptional(pubPath)]);
  if (pubPem !== undefined && keyPem === undefined) {
    throw new PKIError(`found ${pubPath} but not ${keyPath}: Skiff needs the service-account key to sign tokens`);
  }
  let key: KeyObject;
  if (keyPem === undefined) {
    key = (await generateKeyPairAsync('rsa', { modulusLength: SA_KEY_BITS })).privateKey;
    keyPem = key.export({ type: 'pkcs1', format: 'pem' }).toString();
    await writeAtomic(keyPath, keyPem, 0o600);
  } else {
    try {
      key = createPrivateKey(keyPem);
    } catch (cause) {
      throw new PKIError(`cannot parse the service-account key ${keyPath}`, { cause });
    }
    const p256 = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    if (key.asymmetricKeyType !== 'rsa' && !p256) {
      throw new PKIError(`the service-account key ${keyPath} is neither RSA nor ECDSA P-256: tokens are signed with RS256 or ES256`);
    }
  }
  const derivedPub = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  if (pubPem !== derivedPub) {
    pubPem = derivedPub;
    await writeAtomic(pubPath, pubPem, 0o644);
  }
  return { keyPem, pubPem };
}

/** A stored leaf is kept if it parses, matches its key, was signed by this CA, is not near expiry, and passes `fits`. */
function leafIsUsable(ca: CA, certPem: string, keyPem: string, fits: (cert: X509Certificate) => boolean): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return (
      cert.checkPrivateKey(createPrivateKey(keyPem)) &&
      cert.checkIssued(ca.cert) &&
      cert.verify(ca.cert.publicKey) &&
      Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS &&
      fits(cert)
    );
  } catch {
    return false;
  }
}

async function loadOrIssueLeaf(
  pkiDir: string,
  files: { cert: string; key: string },
  ca: CA,
  request: IssueRequest,
  fits: (cert: X509Certificate) => boolean,
): Promise<SignedCertificate> {
  const certPath = join(pkiDir, files.cert);
  const keyPath = join(pkiDir, files.key);
  const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  if (certPem !== undefined && keyPem !== undefined && leafIsUsable(ca, certPem, keyPem, fits)) return { certPem, keyPem };
  const fresh = await issue(ca, request);
  await writeAtomic(keyPath, fresh.keyPem, 0o600);
  await writeAtomic(certPath, fresh.certPem, 0o644);
  return fresh;
}

// ---- public API ----

export async function ensurePKI(dir: string, opts: EnsurePKIOptions): Promise<PKI> {
  const hosts = splitHosts(opts.hosts);
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  // RSA generation is the slow part of a first start: let it run beside the certificates.
  const [certificates, sa] = await Promise.all([ensureCertificates(pkiDir, hosts), loadOrCreateServiceAccountKey(pkiDir)]);
  return { ...certificates, saKeyPem: sa.keyPem, saPubPem: sa.pubPem };
}

async function ensureCertificates(pkiDir: string, hosts: { dnsNames: string[]; ipAddresses: string[] }): Promise<Omit<PKI, 'saKeyPem' | 'saPubPem'>> {
  const { certPem: caCertPem, keyPem: caKeyPem, ca } = await loadOrCreateCA(pkiDir);
  const server = await loadOrIssueLeaf(
    pkiDir,
    { cert: PKI_FILES.serverCert, key: PKI_FILES.serverKey },
    ca,
    { subject: SERVER_SUBJECT, usage: ['serverAuth'], days: LEAF_DAYS, ...hosts },
    (cert) => coversHosts(cert, hosts),
  );
  const admin = await loadOrIssueLeaf(
    pkiDir,
    { cert: PKI_FILES.adminCert, key: PKI_FILES.adminKey },
    ca,
    { subject: ADMIN_SUBJECT, usage: ['clientAuth'], days: LEAF_DAYS },
    () => true,
  );
  return {
    caCertPem,
    caKeyPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
  };
}

/** A client certificate from the cluster CA: CN becomes the user name, O the groups. */
export async function signClientCertificate(
  pki: Pick<PKI, 'caCertPem' | 'caKeyPem'>,
  opts: { commonName: string; organizations?: readonly string[]; days?: number },
): Promise<SignedCertificate> {
  const ca = parseCA(pki.caCertPem, pki.caKeyPem);
  const subject: DistinguishedName = { commonName: opts.commonName, organizations: opts.organizations ?? [] };
  return issue(ca, { subject, usage: ['clientAuth'], days: opts.days ?? LEAF_DAYS });
}

/** A serving certificate from the cluster CA (for kubelets and other servers). */
export async function signServingCertificate(
  pki: Pick<PKI, 'caCertPem' | 'caKeyPem'>,
  opts: { commonName: string; hosts: readonly string[]; organizations?: readonly string[]; days?: number },
): Promise<SignedCertificate> {
  const ca = parseCA(pki.caCertPem, pki.caKeyPem);
  const subject: DistinguishedName = { commonName: opts.commonName, organizations: opts.organizations ?? [] };
  const names = [...new Set(opts.hosts.map(normalizeHost))];
  return issue(ca, {
    subject,
    usage: ['serverAuth'],
    days: opts.days ?? LEAF_DAYS,
    dnsNames: names.filter((h) => !isIP(h)),
    ipAddresses: names.filter((h) => isIP(h)),
  });
}

/** `sha256:<hex>` over the certificate's DER bytes. */
export function certificateFingerprint(certPem: string): string {
  return `sha256:${createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex')}`;
}

/** `sha256:<hex>` over the CA's SubjectPublicKeyInfo: kubeadm's --discovery-token-ca-cert-hash. */
export function caCertHash(caCertPem: string): string {
  const spki = new X509Certificate(caCertPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
