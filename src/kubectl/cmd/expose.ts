// `kubectl expose TYPE NAME --port …`: a Service selecting what the object selects, labelled as the object is.
import { FlagError, str } from '../flags.ts';
import { resourcePath } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import { resolveTargets } from './args.ts';

interface ContainerPort {
  containerPort?: number;
  protocol?: string;
  name?: string;
}

type Obj = Record<string, any>;

/** What the exposed object selects: a workload's matchLabels, a Service's selector, a pod's own labels. */
function selectorOf(kind: string, obj: Obj): Record<string, string> {
  if (kind === 'Pod') return (obj['metadata']?.labels ?? {}) as Record<string, string>;
  if (kind === 'Service' || kind === 'ReplicationController') return (obj['spec']?.selector ?? {}) as Record<string, string>;
  const selector = obj['spec']?.selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined;
  if (selector?.matchExpressions?.length) throw new FlagError(`couldn't convert expressions - "${JSON.stringify(selector.matchExpressions)}" to map-based selector format`);
  return selector?.matchLabels ?? {};
}

function portsOf(kind: string, obj: Obj): ContainerPort[] {
  if (kind === 'Service') return ((obj['spec']?.ports ?? []) as Array<{ port: number; protocol?: string; name?: string }>).map((p) => ({ containerPort: p.port, protocol: p.protocol ?? 'TCP', name: p.name ?? '' }));
  const spec = kind === 'Pod' ? obj['spec'] : obj['spec']?.template?.spec;
  return ((spec?.containers ?? []) as Array<{ ports?: ContainerPort[] }>).flatMap((c) => c.ports ?? []);
}

const EXPOSABLE = new Set(['Deployment', 'ReplicaSet', 'Service', 'Pod', 'ReplicationController']);

export const exposeCommand: KubectlCommand = {
  flags: [
    { name: 'port', type: 'string' },
    { name: 'target-port', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'protocol', type: 'string' },
    { name: 'selector', type: 'string' },
    { name: 'labels', short: 'l', type: 'string' },
    { name: 'field-manager', type: 'string' },
  ],
  unsupported: ['filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'output', 'o', 'dry-run', 'external-ip', 'load-balancer-ip', 'session-affinity', 'cluster-ip', 'override-type', 'overrides', 'save-config', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session, args) {
    if (args.length === 0) throw new FlagError('You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   \'-f rsrc.yaml\'\n   \'--filename=rsrc.json\'\n   \'<resource> <name>\'\n   \'<resource>\'');
    if (session.flags.has('selector') || session.flags.has('labels')) throw new (await import('../flags.ts')).FallbackSignal('selector');
    const { targets } = await resolveTargets(session, args);
    const rest = session.rest();
    for (const t of targets) {
      const kind = t.resource.kind;
      const ns = t.resource.namespaced ? session.namespace : undefined;
      const obj = await rest.json<Obj>({ path: resourcePath(t.resource, ns, t.name), accept: 'application/json, */*' });
      if (!EXPOSABLE.has(kind)) throw new FlagError(`cannot expose a ${kind}`);
      const selector = selectorOf(kind, obj);
      if (!Object.keys(selector).length) throw new FlagError(`couldn't retrieve selectors via --selector flag or introspection: the ${kind.toLowerCase()} has no selector`);
      const protocol = str(session.flags, 'protocol');
      const targetPort = str(session.flags, 'target-port');
      const portFlag = str(session.flags, 'port');
      let ports: Array<Record<string, unknown>>;
      const asPort = (s: string) => (/^\d+$/.test(s) ? Number(s) : s);
      if (portFlag) {
        const list = portFlag.split(',');
        ports = list.map((p, i) => {
          const port: Record<string, unknown> = {};
          if (list.length > 1) port['name'] = `port-${i + 1}`;
          port['port'] = Number(p);
          port['protocol'] = protocol ?? 'TCP';
          port['targetPort'] = targetPort !== undefined ? asPort(targetPort) : Number(p);
          return port;
        });
      } else {
        const found = portsOf(kind, obj);
        if (!found.length) throw new FlagError("couldn't find port via --port flag or introspection");
        ports = found.map((p, i) => {
          const port: Record<string, unknown> = {};
          if (found.length > 1) port['name'] = p.name || `port-${i + 1}`;
          port['port'] = p.containerPort;
          port['protocol'] = protocol ?? p.protocol ?? 'TCP';
          port['targetPort'] = targetPort !== undefined ? asPort(targetPort) : p.containerPort;
          return port;
        });
      }
      const name = str(session.flags, 'name') ?? t.name;
      const spec: Record<string, unknown> = { ports, selector };
      const type = str(session.flags, 'type');
      if (type) spec['type'] = type;
      const metadata: Record<string, unknown> = { name };
      const labels = obj['metadata']?.labels as Record<string, string> | undefined;
      if (labels && Object.keys(labels).length) metadata['labels'] = labels;
      await rest.request({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(session.namespace)}/services`,
        query: { fieldManager: str(session.flags, 'field-manager') ?? 'kubectl-expose' },
        body: { apiVersion: 'v1', kind: 'Service', metadata, spec, status: { loadBalancer: {} } },
      });
      session.io.stdout(`service/${name} exposed\n`);
    }
    return 0;
  },
};
