// Table columns for the coordination.k8s.io API group.
import type { TableConvertor } from '../types.ts';
import { ageColumn, ageOf, col, convertor, nameColumn, nameOf, str } from './format.ts';

const leases = convertor(
  [nameColumn(), col('Holder', 'string', 'The identity of the holder of the current lease.'), ageColumn()],
  (obj, now) => [nameOf(obj), str(obj.spec?.holderIdentity), ageOf(obj, now)],
);

const leaseCandidates = convertor(
  [
    nameColumn(),
    col('LeaseName', 'string', 'The name of the lease for which this candidate is contending.'),
    col('BinaryVersion', 'string', 'The binary version of the candidate.'),
    col('EmulationVersion', 'string', 'The emulation version of the candidate.'),
    ageColumn(),
  ],
  (obj, now) => [nameOf(obj), str(obj.spec?.leaseName), str(obj.spec?.binaryVersion), str(obj.spec?.emulationVersion), ageOf(obj, now)],
);

export const tables: Record<string, TableConvertor> = { leases, leasecandidates: leaseCandidates };
