// Table columns for the certificates.k8s.io API group.
import type { KObject, TableConvertor } from '../types.ts';
import { humanDuration } from './duration.ts';
import { ageColumn, ageOf, arr, col, convertor, int, nameColumn, nameOf, str } from './format.ts';

/** "Approved,Issued", "Denied", "Pending" … from a CSR's conditions and certificate. */
export function csrCondition(csr: KObject): string {
  const types = new Set(arr(csr.status?.conditions).map((c) => c?.type));
  let status = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) status += ',Failed';
  if (str(csr.status?.certificate) !== '') status += ',Issued';
  return status;
}

const certificateSigningRequests = convertor(
  [
    nameColumn(),
    ageColumn(),
    col('SignerName', 'string', 'The requested signer.'),
    col('Requestor', 'string', 'The user that created the request.'),
    col('RequestedDuration', 'string', 'The requested validity duration of the issued certificate.'),
    col('Condition', 'string', 'The approval and issuance state of the request.'),
  ],
  (csr, now) => [
    nameOf(csr),
    ageOf(csr, now),
    str(csr.spec?.signerName) || '<none>',
    str(csr.spec?.username),
    typeof csr.spec?.expirationSeconds === 'number' ? humanDuration(int(csr.spec.expirationSeconds) * 1000) : '<none>',
    csrCondition(csr),
  ],
);

const clusterTrustBundles = convertor(
  [nameColumn(), col('SignerName', 'string', 'The signer whose trust anchors this bundle holds.')],
  (obj) => [nameOf(obj), str(obj.spec?.signerName) || '<none>'],
);

export const tables: Record<string, TableConvertor> = {
  certificatesigningrequests: certificateSigningRequests,
  clustertrustbundles: clusterTrustBundles,
};
