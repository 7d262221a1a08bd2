// The admission plugins kube-apiserver enables by default that Skiff has, in upstream's order.
import { AdmissionChain } from './chain.ts';
import { DefaultTolerationSeconds } from './defaulttolerationseconds.ts';
import { LimitRanger } from './limitranger.ts';
import { NamespaceLifecycle } from './namespacelifecycle.ts';
import type { AdmissionObjects } from './objects.ts';
import { Priority } from './priority.ts';
import { ResourceQuotaAdmission } from './resourcequota.ts';
import { ServiceAccount } from './serviceaccount.ts';

export { AdmissionChain } from './chain.ts';
export { StoreObjects, type AdmissionObjects } from './objects.ts';
export { requestUser, runAsUser } from './request.ts';
export { attributesFor, forbidden, type Admission, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

export function defaultAdmission(objects: AdmissionObjects): AdmissionChain {
  return new AdmissionChain([
    new NamespaceLifecycle(objects),
    new LimitRanger(objects),
    new ServiceAccount(objects),
    new Priority(objects),
    new DefaultTolerationSeconds(),
    new ResourceQuotaAdmission(objects),
  ]);
}
