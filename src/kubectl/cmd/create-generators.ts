// Every `kubectl create <generator>` Skiff's kubectl implements, by name and alias, for create.ts's sub map.
import type { KubectlCommand } from '../main.ts';
import { createConfigMap } from './create-configmap.ts';
import { createPodDisruptionBudget, createNamespace, createPriorityClass, createQuota } from './create-policy.ts';
import { createClusterRole, createClusterRoleBinding, createRole, createRoleBinding, createServiceAccount } from './create-rbac.ts';
import { createSecret } from './create-secret.ts';
import { createService } from './create-service.ts';
import { createToken } from './create-token.ts';
import { createCronJob, createDeployment, createJob } from './create-workload.ts';

export const generators: Record<string, KubectlCommand> = {
  deployment: createDeployment,
  deploy: createDeployment,
  namespace: createNamespace,
  ns: createNamespace,
  service: createService,
  svc: createService,
  configmap: createConfigMap,
  cm: createConfigMap,
  secret: createSecret,
  job: createJob,
  cronjob: createCronJob,
  cj: createCronJob,
  serviceaccount: createServiceAccount,
  sa: createServiceAccount,
  role: createRole,
  clusterrole: createClusterRole,
  rolebinding: createRoleBinding,
  clusterrolebinding: createClusterRoleBinding,
  token: createToken,
  priorityclass: createPriorityClass,
  pc: createPriorityClass,
  quota: createQuota,
  resourcequota: createQuota,
  poddisruptionbudget: createPodDisruptionBudget,
  pdb: createPodDisruptionBudget,
};
