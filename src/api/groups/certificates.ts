// certificates.k8s.io/v1: CertificateSigningRequests.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { fieldError, isDNS1123Subdomain, nameIsDNSSubdomain, path, validateObjectMeta, validateObjectMetaUpdate } from '../validation.ts';
import { CRUD_VERBS, isObj, list, spec, specOrEmpty, str } from './common.ts';

const USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only', 'digital signature',
  'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement', 'key encipherment', 'microsoft sgc',
  'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];

function validateSignerName(name: string): FieldError[] {
  const f = 'spec.signerName';
  if (!name) return [fieldError.required(f)];
  const segments = name.split('/');
  if (segments.length < 2) return [fieldError.invalid(f, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const errs: FieldError[] = [];
  const domain = segments[0]!;
  const rest = segments.slice(1).join('/');
  if (!rest) errs.push(fieldError.invalid(f, name, 'validating path: path segment must not be empty'));
  for (const m of isDNS1123Subdomain(domain)) errs.push(fieldError.invalid(f, domain, m));
  if (domain.split('.').length < 2) errs.push(fieldError.invalid(f, domain, 'should be a domain with at least two segments separated by dots'));
  return errs;
}

function validateCSR(obj: KObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const s = specOrEmpty(obj);
  const request = str(s['request']);
  const pem = Buffer.from(request, 'base64').toString('utf8');
  if (!request) errs.push(fieldError.required('spec.request'));
  else if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) errs.push(fieldError.invalid('spec.request', request, 'PEM block type must be CERTIFICATE REQUEST'));
  const usages: unknown[] = Array.isArray(s['usages']) ? s['usages'] : [];
  if (!usages.length) errs.push(fieldError.required('spec.usages'));
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    const p = path.index('spec.usages', i);
    if (!USAGES.includes(str(u))) errs.push(fieldError.notSupported(p, u, USAGES));
    if (seen.has(str(u))) errs.push(fieldError.duplicate(p, u));
    seen.add(str(u));
  });
  errs.push(...validateSignerName(str(s['signerName'])));
  const exp = s['expirationSeconds'];
  if (typeof exp === 'number' && exp < 600) errs.push(fieldError.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 600 seconds (10 minutes)'));
  return errs;
}

const certificateSigningRequests: ResourceType = {
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  listKind: 'CertificateSigningRequestList',
  plural: 'certificatesigningrequests',
  singular: 'certificatesigningrequest',
  namespaced: false,
  shortNames: ['csr'],
  verbs: CRUD_VERBS,
  subresources: ['approval', 'status'],
  schemaType: 'io.k8s.api.certificates.v1.CertificateSigningRequest',
  hasGeneration: false,
  prepareForCreate(obj, ctx) {
    obj['status'] = {};
    const s = spec(obj);
    // The requester is whoever sent the request, not what the body claims.
    for (const k of ['username', 'uid', 'groups', 'extra']) delete s[k];
    const user = ctx.user;
    if (user) {
      s['username'] = user.username;
      if (user.uid) s['uid'] = user.uid;
      if (user.groups?.length) s['groups'] = [...user.groups];
      if (user.extra && Object.keys(user.extra).length) s['extra'] = structuredClone(user.extra);
    }
  },
  prepareForUpdate(obj, old) {
    // Only metadata changes on the main resource: spec is fixed, status goes through /status and /approval.
    obj['spec'] = structuredClone(old['spec'] ?? {});
    if (old['status'] === undefined) delete obj['status'];
    else obj['status'] = structuredClone(old['status']);
  },
  validateCreate: validateCSR,
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateCSR(obj)],
  selectableFields: (obj) => ({ 'spec.signerName': str(specOrEmpty(obj)['signerName']) }),
};

export const resources: ResourceType[] = [certificateSigningRequests];

/** Approved / Denied / Failed conditions as the CSR table and controllers read them. */
export function csrConditionTypes(obj: KObject): string[] {
  return list(isObj(obj['status']) ? obj['status']['conditions'] : undefined).map((c) => str(c['type']));
}
