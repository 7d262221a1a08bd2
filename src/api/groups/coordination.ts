// coordination.k8s.io/v1: Leases (node heartbeats, leader election).
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { fieldError, nameIsDNSSubdomain, validateNonnegative } from '../validation.ts';
import { CRUD_VERBS, metaValidation, specOrEmpty, str } from './common.ts';

function validateLeaseSpec(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs: FieldError[] = [];
  if (typeof s['leaseDurationSeconds'] === 'number' && s['leaseDurationSeconds'] <= 0) {
    errs.push(fieldError.invalid('spec.leaseDurationSeconds', s['leaseDurationSeconds'], 'must be greater than 0'));
  }
  errs.push(...validateNonnegative(s['leaseTransitions'], 'spec.leaseTransitions'));
  const strategy = s['strategy'];
  if (strategy !== undefined && strategy !== null && str(strategy) !== 'OldestEmulationVersion') {
    errs.push(fieldError.notSupported('spec.strategy', strategy, ['OldestEmulationVersion']));
  }
  return errs;
}

const leases: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  listKind: 'LeaseList',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  verbs: CRUD_VERBS,
  schemaType: 'io.k8s.api.coordination.v1.Lease',
  ...metaValidation(true, nameIsDNSSubdomain, validateLeaseSpec),
};

export const resources: ResourceType[] = [leases];
