// `kubectl create service clusterip|nodeport|loadbalancer|externalname NAME`.
import { FallbackSignal, str, type FlagSpec } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';
import { CommandError, generator, list, meta, type Obj } from './create-common.ts';

const SERVICE = { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true };

type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery's IsValidPortName, its messages joined as kubectl joins them. */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** `port[:targetPort]` as kubectl's parsePorts reads it. */
export function parsePorts(spec: string): { port: number; targetPort: number | string } {
  const [portText = '', target] = spec.split(':');
  if (!/^\d+$/.test(portText)) throw new CommandError(`strconv.ParseUint: parsing ${JSON.stringify(portText)}: invalid syntax`);
  const port = Number(portText);
  if (port > 65535) throw new CommandError(`strconv.ParseUint: parsing ${JSON.stringify(portText)}: value out of range`);
  if (target === undefined) return { port, targetPort: port };
  if (/^[+-]?\d+$/.test(target)) {
    const n = Number(target);
    if (n < 1 || n > 65535) throw new CommandError('must be between 1 and 65535, inclusive');
    return { port, targetPort: n };
  }
  const errs = portNameErrors(target);
  if (errs.length) throw new CommandError(errs.join(','));
  return { port, targetPort: target };
}

export function serviceManifest(name: string, namespace: string | undefined, type: ServiceType, tcp: string[], clusterIP: string, nodePort: number, externalName: string): Obj {
  const ports = tcp.map((spec) => {
    const { port, targetPort } = parsePorts(spec);
    const p: Obj = { name: spec.replace(/:/g, '-'), protocol: 'TCP', port, targetPort };
    if (nodePort) p['nodePort'] = nodePort;
    return p;
  });
  const spec: Obj = {};
  if (ports.length) spec['ports'] = ports;
  spec['selector'] = { app: name };
  if (clusterIP) spec['clusterIP'] = clusterIP;
  spec['type'] = type;
  if (externalName) spec['externalName'] = externalName;
  return { kind: 'Service', apiVersion: 'v1', metadata: meta(name, namespace, { app: name }), spec, status: { loadBalancer: {} } };
}

const TYPES: Record<string, { type: ServiceType; flags: string[] }> = {
  clusterip: { type: 'ClusterIP', flags: ['tcp', 'clusterip'] },
  nodeport: { type: 'NodePort', flags: ['tcp', 'node-port'] },
  loadbalancer: { type: 'LoadBalancer', flags: ['tcp'] },
  externalname: { type: 'ExternalName', flags: ['tcp', 'external-name'] },
};

const serviceFlags: FlagSpec[] = [
  { name: 'tcp', type: 'strings' },
  { name: 'clusterip', type: 'string' },
  { name: 'node-port', type: 'int' },
  { name: 'external-name', type: 'string' },
];

function serviceType(sub: string): KubectlCommand {
  const { type, flags } = TYPES[sub]!;
  const use = `create service ${sub}`;
  return generator({
    use,
    flags: serviceFlags,
    required: type === 'ExternalName' ? ['external-name'] : [],
    build(ctx) {
      const foreign = serviceFlags.find((f) => !flags.includes(f.name) && ctx.flags.has(f.name));
      if (foreign) throw new CommandError(`unknown flag: --${foreign.name}\nSee 'kubectl ${use} --help' for usage.`);
      const clusterIP = str(ctx.flags, 'clusterip') ?? '';
      const tcp = list(ctx.flags, 'tcp');
      const externalName = str(ctx.flags, 'external-name') ?? '';
      if (clusterIP === 'None' && type !== 'ClusterIP') throw new CommandError('ClusterIP=None can only be used with ClusterIP service type');
      if (clusterIP !== 'None' && tcp.length === 0 && type !== 'ExternalName') throw new CommandError('at least one tcp port specifier must be provided');
      if (type === 'ExternalName' && (externalName.length > 253 || !DNS1123_SUBDOMAIN.test(externalName))) throw new CommandError(`invalid service external name ${externalName}`);
      const obj = serviceManifest(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined, type, tcp, clusterIP, Number(str(ctx.flags, 'node-port') ?? '0'), externalName);
      return { obj, target: SERVICE, failure: `failed to create ${type} service: ` };
    },
  });
}

const subs = Object.fromEntries(Object.keys(TYPES).map((sub) => [sub, serviceType(sub)]));

/** `create service TYPE …`: one more level of sub-command than main.ts resolves, so chosen here. */
export const createService: KubectlCommand = {
  flags: serviceFlags.concat(subs['clusterip']!.flags.filter((f) => !serviceFlags.includes(f))),
  unsupported: subs['clusterip']!.unsupported ?? [],
  run(session, args) {
    const chosen = args[0] !== undefined ? subs[args[0]] : undefined;
    if (!chosen) throw new FallbackSignal('create service without a type');
    return chosen.run(session, args.slice(1));
  },
};
