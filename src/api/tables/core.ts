// Table columns for the core ("") API group.
import type { KObject, TableConvertor } from '../types.ts';
import { defaultTable } from './default.ts';
import { eventTable } from './event.ts';
import {
  ageColumn,
  ageOf,
  arr,
  col,
  compareStrings,
  containerCells,
  containersColumn,
  convertor,
  count,
  formatLabels,
  imagesColumn,
  int,
  joinHostPort,
  loadBalancerIngress,
  nameColumn,
  nameOf,
  str,
  wide,
} from './format.ts';
import { podTable } from './pod.ts';
import { canonicalQuantity } from './quantity.ts';

const podTemplates = convertor(
  [
    nameColumn(),
    containersColumn(0),
    imagesColumn(0),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  (obj) => {
    const [names, images] = containerCells(obj.template?.spec?.containers);
    return [nameOf(obj), names, images, formatLabels(obj.template?.metadata?.labels)];
  },
);

const replicationControllers = convertor(
  [
    nameColumn(),
    col('Desired', 'integer', 'The number of desired replicas.'),
    col('Current', 'integer', 'The most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'string', 'Label keys and values that pods must match to be controlled by this replication controller.'),
  ],
  (obj, now) => {
    const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      int(obj.spec?.replicas, 1),
      int(obj.status?.replicas),
      int(obj.status?.readyReplicas),
      ageOf(obj, now),
      names,
      images,
      formatLabels(obj.spec?.selector),
    ];
  },
);

function serviceExternalIP(svc: KObject): string {
  const externalIPs = arr(svc.spec?.externalIPs).map(String);
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc.status?.loadBalancer);
      if (externalIPs.length > 0) return [...(lb === '' ? [] : lb.split(',')), ...externalIPs].join(',');
      return lb !== '' ? lb : '<pending>';
    }
    case 'ExternalName':
      return str(svc.spec?.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(svc: KObject): string {
  return arr(svc.spec?.ports)
    .map((p) => {
      const protocol = str(p?.protocol) || 'TCP';
      const nodePort = int(p?.nodePort);
      return nodePort > 0 ? `${int(p?.port)}:${nodePort}/${protocol}` : `${int(p?.port)}/${protocol}`;
    })
    .join(',');
}

function clusterIP(svc: KObject): string {
  const ips = arr(svc.spec?.clusterIPs);
  if (ips.length > 0) return str(ips[0]);
  return str(svc.spec?.clusterIP) || '<none>';
}

const services = convertor(
  [
    nameColumn(),
    col('Type', 'string', 'How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    col('Cluster-IP', 'string', 'The IP address of the service, usually assigned randomly.'),
    col('External-IP', 'string', 'IP addresses for which nodes in the cluster also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn(),
    wide('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  (svc, now) => [
    nameOf(svc),
    str(svc.spec?.type),
    clusterIP(svc),
    serviceExternalIP(svc),
    servicePorts(svc) || '<none>',
    ageOf(svc, now),
    formatLabels(svc.spec?.selector),
  ],
);

/** Up to three "ip:port" endpoints, then "+ N more...". */
export function formatEndpoints(obj: KObject): string {
  const subsets = arr(obj.subsets);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let total = 0;
  for (const ss of subsets) {
    const addresses = arr(ss?.addresses);
    const ports = arr(ss?.ports);
    if (ports.length === 0) {
      total += addresses.length; // headless services may have no ports
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a?.ip));
      }
      continue;
    }
    for (const port of ports) {
      total += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a?.ip), int(port?.port)));
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${total - max} more...` : joined;
}

const endpoints = convertor(
  [nameColumn(), col('Endpoints', 'string', 'The set of addresses and ports that comprise the service.'), ageColumn()],
  (obj, now) => [nameOf(obj), formatEndpoints(obj), ageOf(obj, now)],
);

/** Roles from node-role.kubernetes.io/<role> label keys and the kubernetes.io/role label value, sorted. */
export function nodeRoles(node: KObject): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (key === 'kubernetes.io/role' && value !== '') {
      roles.add(value);
    }
  }
  return [...roles].sort(compareStrings);
}

function nodeStatus(node: KObject): string {
  const status: string[] = [];
  // only the Ready condition counts; the last one of a type wins
  const ready = arr(node.status?.conditions).filter((c) => c?.type === 'Ready').at(-1);
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeAddress(node: KObject, type: string): string {
  const found = arr(node.status?.addresses).find((a) => a?.type === type);
  return found ? str(found.address) : '<none>';
}

const nodes = convertor(
  [
    nameColumn(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    wide('Internal-IP', 'string', 'List of addresses reachable to the node.'),
    wide('External-IP', 'string', 'List of addresses reachable to the node.'),
    wide('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 12 (bookworm)).'),
    wide('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    wide('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
  ],
  (node, now) => {
    const info = node.status?.nodeInfo ?? {};
    const roles = nodeRoles(node).join(',');
    return [
      nameOf(node),
      nodeStatus(node),
      roles === '' ? '<none>' : roles,
      ageOf(node, now),
      str(info.kubeletVersion),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
);

const namespaces = convertor(
  [nameColumn(), col('Status', 'string', 'The status of the namespace'), ageColumn()],
  (obj, now) => [nameOf(obj), str(obj.status?.phase), ageOf(obj, now)],
);

const secrets = convertor(
  [
    nameColumn(),
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', 'The number of keys in the secret data.'),
    ageColumn(),
  ],
  (obj, now) => [nameOf(obj), str(obj.type), count(obj.data), ageOf(obj, now)],
);

const serviceAccounts = convertor(
  [nameColumn(), col('Secrets', 'string', 'The secrets allowed to be used by pods running as this service account.'), ageColumn()],
  (obj, now) => [nameOf(obj), arr(obj.secrets).length, ageOf(obj, now)],
);

const ACCESS_MODES: Array<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** "RWO,RWX" in the fixed order RWO, ROX, RWX, RWOP. */
export function accessModes(modes: unknown): string {
  const present = new Set(arr(modes).map(String));
  return ACCESS_MODES.filter(([mode]) => present.has(mode))
    .map(([, short]) => short)
    .join(',');
}

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

function volumeClass(obj: KObject): string {
  const annotated = obj.metadata?.annotations?.[BETA_STORAGE_CLASS];
  if (annotated !== undefined) return annotated;
  return str(obj.spec?.storageClassName);
}

function deletingPhase(obj: KObject): string {
  const deleting = obj.metadata?.deletionTimestamp !== undefined && obj.metadata?.deletionTimestamp !== null;
  return deleting ? 'Terminating' : str(obj.status?.phase);
}

const persistentVolumes = convertor(
  [
    nameColumn(),
    col('Capacity', 'string', "The volume's storage capacity."),
    col('Access Modes', 'string', 'All ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'What happens to the volume when released from its claim: Retain, Delete or Recycle.'),
    col('Status', 'string', 'The phase of the volume: Pending, Available, Bound, Released or Failed.'),
    col('Claim', 'string', 'The claim bound to this volume, as namespace/name.'),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'A brief CamelCase string that describes any failure.'),
    ageColumn(),
    wide('VolumeMode', 'string', 'Whether the volume is used with a formatted filesystem or as a raw block device.'),
  ],
  (pv, now) => {
    const claimRef = pv.spec?.claimRef;
    return [
      nameOf(pv),
      canonicalQuantity(pv.spec?.capacity?.storage),
      accessModes(pv.spec?.accessModes),
      str(pv.spec?.persistentVolumeReclaimPolicy),
      deletingPhase(pv),
      claimRef ? `${str(claimRef.namespace)}/${str(claimRef.name)}` : '',
      volumeClass(pv),
      typeof pv.spec?.volumeAttributesClassName === 'string' ? pv.spec.volumeAttributesClassName : '<unset>',
      str(pv.status?.reason),
      ageOf(pv, now),
      typeof pv.spec?.volumeMode === 'string' ? pv.spec.volumeMode : '<unset>',
    ];
  },
);

const persistentVolumeClaims = convertor(
  [
    nameColumn(),
    col('Status', 'string', 'The current phase of the claim: Pending, Bound or Lost.'),
    col('Volume', 'string', 'The binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'The actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'The actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    wide('VolumeMode', 'string', 'What type of volume is required by the claim.'),
  ],
  (pvc, now) => {
    const volumeName = str(pvc.spec?.volumeName);
    const bound = volumeName !== '';
    return [
      nameOf(pvc),
      deletingPhase(pvc),
      volumeName,
      bound ? canonicalQuantity(pvc.status?.capacity?.storage) : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      volumeClass(pvc),
      typeof pvc.spec?.volumeAttributesClassName === 'string' ? pvc.spec.volumeAttributesClassName : '<unset>',
      ageOf(pvc, now),
      typeof pvc.spec?.volumeMode === 'string' ? pvc.spec.volumeMode : '<unset>',
    ];
  },
);

const configMaps = convertor(
  [nameColumn(), col('Data', 'string', 'The number of keys in data and binaryData.'), ageColumn()],
  (obj, now) => [nameOf(obj), count(obj.data) + count(obj.binaryData), ageOf(obj, now)],
);

/** "resource: used/hard" pairs, requests and limits ("limits.*") split into two cells. */
function quotaCells(obj: KObject): [string, string] {
  const hard: Record<string, unknown> = obj.status?.hard ?? {};
  const used: Record<string, unknown> = obj.status?.used ?? {};
  const requests: string[] = [];
  const limits: string[] = [];
  for (const resource of Object.keys(hard).sort(compareStrings)) {
    const text = `${resource}: ${canonicalQuantity(used[resource])}/${canonicalQuantity(hard[resource])}`;
    const pieces = resource.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(text);
  }
  return [requests.join(', '), limits.join(', ')];
}

const resourceQuotas = convertor(
  [
    nameColumn(),
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ageColumn(),
  ],
  (obj, now) => {
    const [requests, limits] = quotaCells(obj);
    return [nameOf(obj), requests, limits, ageOf(obj, now)];
  },
);

const componentStatuses = convertor(
  [
    nameColumn(),
    col('Status', 'string', 'Status of the component conditions'),
    col('Message', 'string', 'Message of the component conditions'),
    col('Error', 'string', 'Error of the component conditions'),
  ],
  (obj) => {
    const healthy = arr(obj.conditions).find((c) => c?.type === 'Healthy');
    const status = healthy ? (healthy.status === 'True' ? 'Healthy' : 'Unhealthy') : 'Unknown';
    return [nameOf(obj), status, str(healthy?.message), str(healthy?.error)];
  },
);

export const tables: Record<string, TableConvertor> = {
  pods: podTable,
  podtemplates: podTemplates,
  replicationcontrollers: replicationControllers,
  services,
  endpoints,
  nodes,
  namespaces,
  events: eventTable,
  secrets,
  serviceaccounts: serviceAccounts,
  persistentvolumes: persistentVolumes,
  persistentvolumeclaims: persistentVolumeClaims,
  configmaps: configMaps,
  resourcequotas: resourceQuotas,
  componentstatuses: componentStatuses,
  limitranges: defaultTable, // upstream has no printer for LimitRange
};

