// `kubectl autoscale TYPE NAME --max N [--min N] [--cpu 70%|500m] [--memory …]`: an autoscaling/v2
// HorizontalPodAutoscaler as kubectl 1.35 builds it (autoscaling/v1 only as its fallback).
import { FallbackSignal, FlagError, str } from '../flags.ts';
import { resourcePath } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import { CommandError, guarded, dryRunOf, DRY_RUN_FLAG, formatObject, outputOf, OUTPUT_FLAG, PRINT_UNSUPPORTED, writeQuery, type Obj } from '../mutate-output.ts';
import { resolveTargets } from './args.ts';

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** kubectl's parseResourceInput: `70%` is a utilization, a bare number gets the default unit, else a quantity. */
export function metricTarget(input: string, resource: 'cpu' | 'memory'): Obj {
  const text = input.trim();
  if (text.endsWith('%')) {
    const value = text.slice(0, -1);
    if (!/^[+-]?\d+$/.test(value) || Number(value) < 0 || Number(value) > 2147483647) throw new CommandError(`invalid percentage value: ${value}`);
    return { type: 'Utilization', averageUtilization: Number(value) };
  }
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return { type: 'AverageValue', averageValue: `${Number(text)}${resource === 'cpu' ? 'm' : 'Mi'}` };
  if (!QUANTITY.test(text)) throw new CommandError(`invalid resource ${resource} value: ${text}`);
  return { type: 'AverageValue', averageValue: text };
}

function resourceMetric(name: string, target: Obj): Obj {
  return { type: 'Resource', resource: { name, target } };
}

export const autoscaleCommand: KubectlCommand = guarded({
  flags: [
    DRY_RUN_FLAG,
    OUTPUT_FLAG,
    { name: 'min', type: 'int' },
    { name: 'max', type: 'int' },
    { name: 'cpu-percent', type: 'int' },
    { name: 'cpu', type: 'string' },
    { name: 'memory', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'field-manager', type: 'string' },
  ],
  unsupported: ['filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'save-config', 'record', ...PRINT_UNSUPPORTED],
  async run(session, args) {
    const f = session.flags;
    if (f.has('cpu-percent')) session.io.stderr("Flag --cpu-percent has been deprecated, Use --cpu with percentage or resource quantity format (e.g., '70%' for utilization or '500m' for milliCPU).\n");
    if (!f.has('max')) throw new CommandError('required flag(s) "max" not set');
    const dryRun = dryRunOf(f);
    const format = outputOf(f);
    const min = Number(str(f, 'min') ?? '-1');
    const max = Number(str(f, 'max') ?? '-1');
    const cpuPercent = Number(str(f, 'cpu-percent') ?? '-1');
    const cpu = str(f, 'cpu') ?? '';
    const memory = str(f, 'memory') ?? '';
    if (max < 1) throw new CommandError(`--max=MAXPODS is required and must be at least 1, max: ${max}`);
    if (max < min) throw new CommandError(`--max=MAXPODS must be larger or equal to --min=MINPODS, max: ${max}, min: ${min}`);
    if (cpuPercent > 0 && cpu) throw new CommandError('--cpu-percent and --cpu are mutually exclusive');
    const cpuTarget = cpu ? metricTarget(cpu, 'cpu') : undefined;
    const memoryTarget = memory ? metricTarget(memory, 'memory') : undefined;
    if (args.length === 0) throw new FlagError("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
    const { targets } = await resolveTargets(session, args);
    if (targets.length !== 1) throw new FallbackSignal('several objects');
    const t = targets[0]!;
    const rest = session.rest();
    await rest.json<Obj>({ path: resourcePath(t.resource, session.namespace, t.name) });
    const gv = t.resource.group ? `${t.resource.group}/${t.resource.version}` : t.resource.version;
    // The aggregated discovery Skiff's kubectl caches leaves out subresources: the group version's own list has them.
    const list = await rest.json<{ resources?: Array<{ name: string }> }>({ path: t.resource.group ? `/apis/${gv}` : `/api/${gv}` });
    if (!(list.resources ?? []).some((r) => r.name === `${t.resource.resource}/scale`)) {
      throw new CommandError(`cannot autoscale a ${t.resource.kind}: could not find scale subresource for ${t.resource.group}/${t.resource.version}, Resource=${t.resource.resource} in discovery information`);
    }
    const name = str(f, 'name') || t.name;
    const metadata: Obj = { name };
    if (f.has('namespace')) metadata['namespace'] = session.namespace;
    const spec: Obj = { scaleTargetRef: { kind: t.resource.kind, name: t.name, apiVersion: gv } };
    if (min > 0) spec['minReplicas'] = min;
    spec['maxReplicas'] = max;
    const metrics: Obj[] = [];
    if (cpuPercent > 0) metrics.push(resourceMetric('cpu', { type: 'Utilization', averageUtilization: cpuPercent }));
    if (cpuTarget) metrics.push(resourceMetric('cpu', cpuTarget));
    if (memoryTarget) metrics.push(resourceMetric('memory', memoryTarget));
    if (metrics.length) spec['metrics'] = metrics;
    const hpa: Obj = { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', metadata, spec, status: { desiredReplicas: 0, currentMetrics: null } };
    const target = { group: 'autoscaling', kind: 'HorizontalPodAutoscaler' };
    if (dryRun === 'client') {
      session.io.stdout(await formatObject(hpa, target, format, 'created', dryRun));
      return 0;
    }
    const create = (apiVersion: string, body: Obj) =>
      rest.json<Obj>({ method: 'POST', path: `/apis/autoscaling/${apiVersion}/namespaces/${encodeURIComponent(session.namespace)}/horizontalpodautoscalers`, query: writeQuery(session, 'kubectl-autoscale', dryRun, false), body });
    let created: Obj;
    try {
      created = await create('v2', hpa);
    } catch (v2Error) {
      // kubectl falls back to autoscaling/v1 only when the request fits it (a CPU utilization target at most).
      if (!cpu) throw new CommandError(`failed to create autoscaling/v2 HPA and the configuration is incompatible with autoscaling/v1: empty input`, { cause: v2Error });
      if (memory || cpuTarget?.['type'] !== 'Utilization') throw new CommandError(`failed to create autoscaling/v2 HPA and the configuration is incompatible with autoscaling/v1: %!w(<nil>)`, { cause: v2Error });
      const v1Spec: Obj = { scaleTargetRef: spec['scaleTargetRef'] };
      if (min > 0) v1Spec['minReplicas'] = min;
      v1Spec['maxReplicas'] = max;
      if (cpuPercent >= 0) v1Spec['targetCPUUtilizationPercentage'] = cpuPercent;
      created = await create('v1', { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v1', metadata, spec: v1Spec, status: { currentReplicas: 0, desiredReplicas: 0 } });
    }
    session.io.stdout(await formatObject(created, target, format, 'autoscaled', dryRun));
    return 0;
  },
});
