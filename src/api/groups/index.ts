// Every built-in resource Skiff serves, in upstream's discovery order, and the objects a new cluster starts with.
import type { KObject, ResourceType } from '../types.ts';
import { isIPv6 } from '../validation.ts';
import { resources as apiextensions } from './apiextensions.ts';
import { resources as apps } from './apps.ts';
import { resources as authentication } from './authentication.ts';
import { resources as authorization } from './authorization.ts';
import { resources as autoscaling } from './autoscaling.ts';
import { resources as batch } from './batch.ts';
import { resources as certificates } from './certificates.ts';
import { resources as coordination } from './coordination.ts';
import { resources as core } from './core.ts';
import { kubernetesService } from './core-services.ts';
import { resources as discovery } from './discovery.ts';
import { resources as events } from './events.ts';
import { resources as networking } from './networking.ts';
import { resources as policy } from './policy.ts';
import { clusterAdminObjects, resources as rbac } from './rbac.ts';
import { resources as scheduling, systemPriorityClassObjects } from './scheduling.ts';
import { resources as storage } from './storage.ts';

export const allResourceTypes: ResourceType[] = [
  ...core,
  ...apps,
  ...events,
  ...authentication,
  ...authorization,
  ...autoscaling,
  ...batch,
  ...certificates,
  ...networking,
  ...policy,
  ...rbac,
  ...storage,
  ...scheduling,
  ...coordination,
  ...discovery,
  ...apiextensions,
];

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The first usable address of a CIDR: 10.96.0.0/12 → 10.96.0.1 (the `kubernetes` Service's IP). */
export function firstServiceIP(cidr: string): string {
  const [addr, bitsText] = cidr.trim().split('/') as [string, string | undefined];
  const bits = Number(bitsText);
  if (!addr || !bitsText || !Number.isInteger(bits)) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
  if (!isIPv6(addr)) {
    const parts = addr.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255) || bits < 0 || bits > 30) {
      throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
    }
    const ip = parts.reduce((n, p) => n * 256 + p, 0);
    const size = 2 ** (32 - bits);
    const first = Math.floor(ip / size) * size + 1;
    return [24, 16, 8, 0].map((s) => Math.floor(first / 2 ** s) % 256).join('.');
  }
  const host = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  const [head, tail] = host.split('::') as [string, string | undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  let n = all.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
  if (bits < 0 || bits > 126) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
  const hostBits = BigInt(128 - bits);
  n = ((n >> hostBits) << hostBits) + 1n;
  const out: string[] = [];
  for (let i = 7; i >= 0; i--) out.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return new URL(`http://[${out.join(':')}]/`).hostname.slice(1, -1);
}

export interface BootstrapOptions {
  /** e.g. "10.96.0.0/12": the kubernetes Service gets its first address. */
  serviceCIDR: string;
  /** The apiserver's secure port (targetPort of the kubernetes Service). */
  apiserverPort: number;
  /** The address clients reach the apiserver at (the kubernetes Endpoints / EndpointSlice). */
  advertiseAddress: string;
}

function namespaceObject(name: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/**
 * The objects a fresh cluster has: the system namespaces, the system priority classes, the `kubernetes`
 * Service with its Endpoints and EndpointSlice, and cluster-admin bound to the system:masters group.
 */
export function bootstrapObjects(opts: BootstrapOptions): KObject[] {
  const ip = firstServiceIP(opts.serviceCIDR);
  const family = isIPv6(opts.advertiseAddress) ? 'IPv6' : 'IPv4';
  return [
    ...SYSTEM_NAMESPACES.map(namespaceObject),
    ...systemPriorityClassObjects(),
    kubernetesService(ip, opts.apiserverPort),
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: opts.advertiseAddress }], ports: [{ name: 'https', port: opts.apiserverPort, protocol: 'TCP' }] }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: family,
      endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready: true } }],
      ports: [{ name: 'https', port: opts.apiserverPort, protocol: 'TCP' }],
    },
    ...clusterAdminObjects(),
  ];
}
