// Which describer kubectl uses for a kind (its describerMap by API group and kind); any other kind gets the generic
// describer. Describers kubectl has that Skiff's does not model are left to the real kubectl.
import { FallbackSignal } from '../flags.ts';
import type { Describer } from './context.ts';

type Loader = () => Promise<Describer>;

const DESCRIBERS: Record<string, Loader> = {
  '/Pod': async () => (await import('./core.ts')).describePodObject,
  '/Service': async () => (await import('./core.ts')).describeServiceObject,
  '/ServiceAccount': async () => (await import('./core.ts')).describeServiceAccount,
  '/Secret': async () => (await import('./core.ts')).describeSecret,
  '/ConfigMap': async () => (await import('./core.ts')).describeConfigMap,
  '/Namespace': async () => (await import('./core.ts')).describeNamespace,
  '/LimitRange': async () => (await import('./core.ts')).describeLimitRange,
  '/ResourceQuota': async () => (await import('./core.ts')).describeResourceQuota,
  '/Endpoints': async () => (await import('./core.ts')).describeEndpoints,
  '/PersistentVolume': async () => (await import('./core.ts')).describePersistentVolume,
  '/PersistentVolumeClaim': async () => (await import('./core.ts')).describePersistentVolumeClaim,
  '/ReplicationController': async () => (await import('./workloads.ts')).describeReplicationController,
  '/Node': async () => (await import('./node.ts')).describeNode,
  'apps/Deployment': async () => (await import('./workloads.ts')).describeDeployment,
  'apps/ReplicaSet': async () => (await import('./workloads.ts')).describeReplicaSet,
  'apps/DaemonSet': async () => (await import('./workloads.ts')).describeDaemonSet,
  'apps/StatefulSet': async () => (await import('./workloads.ts')).describeStatefulSet,
  'batch/Job': async () => (await import('./workloads.ts')).describeJob,
  'batch/CronJob': async () => (await import('./workloads.ts')).describeCronJob,
  'discovery.k8s.io/EndpointSlice': async () => (await import('./network.ts')).describeEndpointSlice,
  'networking.k8s.io/Ingress': async () => (await import('./network.ts')).describeIngress,
  'networking.k8s.io/IngressClass': async () => (await import('./network.ts')).describeIngressClass,
  'rbac.authorization.k8s.io/Role': async () => (await import('./rbac.ts')).describeRole,
  'rbac.authorization.k8s.io/ClusterRole': async () => (await import('./rbac.ts')).describeRole,
  'rbac.authorization.k8s.io/RoleBinding': async () => (await import('./rbac.ts')).describeBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': async () => (await import('./rbac.ts')).describeBinding,
  'autoscaling/HorizontalPodAutoscaler': async () => (await import('./policy.ts')).describeHorizontalPodAutoscaler,
  'policy/PodDisruptionBudget': async () => (await import('./policy.ts')).describePodDisruptionBudget,
  'scheduling.k8s.io/PriorityClass': async () => (await import('./policy.ts')).describePriorityClass,
  'storage.k8s.io/StorageClass': async () => (await import('./policy.ts')).describeStorageClass,
};

/** Kinds kubectl describes with a describer of its own that Skiff's kubectl leaves to it. */
const LEFT_TO_KUBECTL = new Set([
  'networking.k8s.io/NetworkPolicy',
  'networking.k8s.io/ServiceCIDR',
  'networking.k8s.io/IPAddress',
  'certificates.k8s.io/CertificateSigningRequest',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttributesClass',
]);

export async function describerFor(group: string, kind: string): Promise<Describer> {
  const key = `${group}/${kind}`;
  if (LEFT_TO_KUBECTL.has(key)) throw new FallbackSignal(`describe ${key}`);
  const load = DESCRIBERS[key];
  return load ? load() : (await import('./generic.ts')).describeGeneric;
}
