// The built-in resources Skiff's own components read and write, named once.
import type { GroupVersionResource } from './client.ts';

const core = (resource: string): GroupVersionResource => ({ group: '', version: 'v1', resource });
const inGroup = (group: string, resource: string): GroupVersionResource => ({ group, version: 'v1', resource });

export const PODS = core('pods');
export const NODES = core('nodes');
export const NAMESPACES = core('namespaces');
export const SERVICES = core('services');
export const ENDPOINTS = core('endpoints');
export const CONFIGMAPS = core('configmaps');
export const EVENTS = core('events');
export const SERVICE_ACCOUNTS = core('serviceaccounts');
export const PERSISTENT_VOLUME_CLAIMS = core('persistentvolumeclaims');
export const REPLICATION_CONTROLLERS = core('replicationcontrollers');
export const RESOURCE_QUOTAS = core('resourcequotas');
export const DEPLOYMENTS = inGroup('apps', 'deployments');
export const REPLICASETS = inGroup('apps', 'replicasets');
export const DAEMONSETS = inGroup('apps', 'daemonsets');
export const STATEFULSETS = inGroup('apps', 'statefulsets');
export const CONTROLLER_REVISIONS = inGroup('apps', 'controllerrevisions');
export const JOBS = inGroup('batch', 'jobs');
export const CRONJOBS = inGroup('batch', 'cronjobs');
export const LEASES = inGroup('coordination.k8s.io', 'leases');
export const ENDPOINT_SLICES = inGroup('discovery.k8s.io', 'endpointslices');
export const POD_DISRUPTION_BUDGETS = inGroup('policy', 'poddisruptionbudgets');
export const PRIORITY_CLASSES = inGroup('scheduling.k8s.io', 'priorityclasses');
export const CUSTOM_RESOURCE_DEFINITIONS = inGroup('apiextensions.k8s.io', 'customresourcedefinitions');
