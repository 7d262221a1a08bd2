// Describers for HorizontalPodAutoscalers (autoscaling/v2), PodDisruptionBudgets, PriorityClasses, StorageClasses.
import { type Describer, type Fields, tabbed } from './context.ts';
import { canonical } from './storage-shared.ts';
import { type DescribeWriter, boolPtr, intOrString, printAnnotations, printEvents, printLabels, rfc1123z } from './writer.ts';
import { formatLabelSelector, formatLabels } from '../../api/tables/format.ts';

function metricLines(w: DescribeWriter, hpa: Fields): void {
  const current: Fields[] = hpa['status']?.currentMetrics ?? [];
  ((hpa['spec']?.metrics ?? []) as Fields[]).forEach((m, i) => {
    const cur = current[i];
    const q = (v: unknown) => canonical(v);
    switch (m['type']) {
      case 'External': {
        const t = m['external']?.target ?? {};
        const name = JSON.stringify(m['external']?.metric?.name ?? '');
        if (t.averageValue !== undefined) {
          const c = cur?.['external']?.current?.averageValue !== undefined ? q(cur['external'].current.averageValue) : '<unknown>';
          w.write(1, `${name} (target average value):\t${c} / ${q(t.averageValue)}\n`);
        } else {
          const c = cur?.['external'] ? q(cur['external'].current?.value) : '<unknown>';
          w.write(1, `${name} (target value):\t${c} / ${q(t.value)}\n`);
        }
        break;
      }
      case 'Pods': {
        const c = cur?.['pods'] ? q(cur['pods'].current?.averageValue) : '<unknown>';
        w.write(1, `${JSON.stringify(m['pods']?.metric?.name ?? '')} on pods:\t${c} / ${q(m['pods']?.target?.averageValue)}\n`);
        break;
      }
      case 'Object': {
        const o = m['object'] ?? {};
        w.write(1, `"${o.metric?.name ?? ''}" on ${o.describedObject?.kind ?? ''}/${o.describedObject?.name ?? ''} `);
        if (o.target?.type === 'AverageValue') {
          const c = cur?.['object'] ? q(cur['object'].current?.averageValue) : '<unknown>';
          w.write(0, `(target average value):\t${c} / ${q(o.target?.averageValue)}\n`);
        } else {
          const c = cur?.['object'] ? q(cur['object'].current?.value) : '<unknown>';
          w.write(0, `(target value):\t${c} / ${q(o.target?.value)}\n`);
        }
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const container = m['type'] === 'ContainerResource';
        const r = (container ? m['containerResource'] : m['resource']) ?? {};
        const c = container ? cur?.['containerResource'] : cur?.['resource'];
        w.write(1, container ? `resource ${r.name} of container "${r.container}" on pods` : `resource ${r.name} on pods`);
        if (r.target?.averageValue !== undefined) {
          w.write(0, `:\t${c ? q(c.current?.averageValue) : '<unknown>'} / ${q(r.target.averageValue)}\n`);
        } else {
          const util = c?.current?.averageUtilization;
          const now = c && util !== undefined && util !== null ? `${util}% (${q(c.current?.averageValue)})` : '<unknown>';
          const target = r.target?.averageUtilization !== undefined ? `${r.target.averageUtilization}%` : '<auto>';
          w.write(1, `(as a percentage of request):\t${now} / ${target}\n`);
        }
        break;
      }
      default:
        w.write(1, `<unknown metric type ${JSON.stringify(m['type'] ?? '')}>\n`);
    }
  });
}

function direction(w: DescribeWriter, title: string, rules: Fields | undefined): void {
  if (!rules) return;
  w.write(1, `${title}:\n`);
  if (rules['stabilizationWindowSeconds'] !== undefined) w.write(2, `Stabilization Window: ${rules['stabilizationWindowSeconds']} seconds\n`);
  const policies: Fields[] = rules['policies'] ?? [];
  if (policies.length) {
    w.write(2, `Select Policy: ${rules['selectPolicy'] ?? 'Max'}\n`);
    w.write(2, 'Policies:\n');
    for (const p of policies) w.write(3, `- Type: ${p['type']}\tValue: ${p['value']}\tPeriod: ${p['periodSeconds']} seconds\n`);
  }
}

export const describeHorizontalPodAutoscaler: Describer = async (ctx, { obj, resource }) => {
  const meta = obj['metadata'] ?? {};
  // kubectl reads the autoscaler as autoscaling/v2 whatever version it was asked for.
  const hpa = resource.version === 'v2' ? obj : await ctx.get(`/apis/autoscaling/v2/namespaces/${encodeURIComponent(meta.namespace ?? '')}/horizontalpodautoscalers/${encodeURIComponent(meta.name ?? '')}`);
  const events = await ctx.eventsFor(hpa, resource.kind);
  return tabbed((w) => {
    const spec = hpa['spec'] ?? {};
    const status = hpa['status'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
    printLabels(w, 'Labels', hpa['metadata']?.labels);
    printAnnotations(w, 'Annotations', hpa['metadata']?.annotations);
    w.write(0, `CreationTimestamp:\t${rfc1123z(hpa['metadata']?.creationTimestamp)}\n`);
    const ref = spec.scaleTargetRef ?? {};
    w.write(0, `Reference:\t${ref.kind ?? ''}/${ref.name ?? ''}\n`);
    w.write(0, 'Metrics:\t( current / target )\n');
    metricLines(w, hpa);
    w.write(0, `Min replicas:\t${spec.minReplicas ?? '<unset>'}\n`);
    w.write(0, `Max replicas:\t${spec.maxReplicas ?? 0}\n`);
    if (spec.behavior) {
      w.write(0, 'Behavior:\n');
      direction(w, 'Scale Up', spec.behavior.scaleUp);
      direction(w, 'Scale Down', spec.behavior.scaleDown);
    }
    w.write(0, `${ref.kind ?? ''} pods:\t${status.currentReplicas ?? 0} current / ${status.desiredReplicas ?? 0} desired\n`);
    const conditions: Fields[] = status.conditions ?? [];
    if (conditions.length) {
      w.write(0, 'Conditions:\n');
      w.write(1, 'Type\tStatus\tReason\tMessage\n');
      w.write(1, '----\t------\t------\t-------\n');
      for (const c of conditions) w.write(1, `${c['type']}\t${c['status']}\t${c['reason'] ?? ''}\t${c['message'] ?? ''}\n`);
    }
    printEvents(w, events);
  });
};

export const describePodDisruptionBudget: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    const spec = obj['spec'] ?? {};
    const status = obj['status'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
    if (spec.minAvailable !== undefined && spec.minAvailable !== null) w.write(0, `Min available:\t${intOrString(spec.minAvailable)}\n`);
    else if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) w.write(0, `Max unavailable:\t${intOrString(spec.maxUnavailable)}\n`);
    w.write(0, `Selector:\t${spec.selector ? formatLabelSelector(spec.selector) : '<unset>'}\n`);
    w.write(0, 'Status:\n');
    w.write(2, `Allowed disruptions:\t${status.disruptionsAllowed ?? 0}\n`);
    w.write(2, `Current:\t${status.currentHealthy ?? 0}\n`);
    w.write(2, `Desired:\t${status.desiredHealthy ?? 0}\n`);
    w.write(2, `Total:\t${status.expectedPods ?? 0}\n`);
    printEvents(w, events);
  });
};

/** labels.FormatLabels: `a=b,c=d`, or `<none>`. */
const mapText = (m: unknown) => formatLabels(m);

export const describePriorityClass: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    w.write(0, `Name:\t${obj['metadata']?.name ?? ''}\n`);
    w.write(0, `Value:\t${obj['value'] ?? 0}\n`);
    w.write(0, `GlobalDefault:\t${obj['globalDefault'] === true}\n`);
    w.write(0, `PreemptionPolicy:\t${obj['preemptionPolicy'] ?? ''}\n`);
    w.write(0, `Description:\t${obj['description'] ?? ''}\n`);
    w.write(0, `Annotations:\t${mapText(obj['metadata']?.annotations)}\n`);
    printEvents(w, events);
  });
};

export const describeStorageClass: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    const annotations: Record<string, string> = obj['metadata']?.annotations ?? {};
    const isDefault = annotations['storageclass.kubernetes.io/is-default-class'] === 'true' || annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    w.write(0, `Name:\t${obj['metadata']?.name ?? ''}\n`);
    w.write(0, `IsDefaultClass:\t${isDefault ? 'Yes' : 'No'}\n`);
    w.write(0, `Annotations:\t${mapText(annotations)}\n`);
    w.write(0, `Provisioner:\t${obj['provisioner'] ?? ''}\n`);
    w.write(0, `Parameters:\t${mapText(obj['parameters'])}\n`);
    w.write(0, `AllowVolumeExpansion:\t${boolPtr(obj['allowVolumeExpansion'])}\n`);
    const options: string[] = obj['mountOptions'] ?? [];
    if (options.length === 0) w.write(0, 'MountOptions:\t<none>\n');
    else {
      w.write(0, 'MountOptions:\n');
      for (const o of options) w.write(1, `${o}\n`);
    }
    if (obj['reclaimPolicy']) w.write(0, `ReclaimPolicy:\t${obj['reclaimPolicy']}\n`);
    if (obj['volumeBindingMode']) w.write(0, `VolumeBindingMode:\t${obj['volumeBindingMode']}\n`);
    const topologies: Fields[] | undefined = obj['allowedTopologies'];
    if (topologies) {
      if (topologies.length === 0) w.write(0, 'AllowedTopologies:\t<none>\n');
      else {
        w.write(0, 'AllowedTopologies:\t\n');
        topologies.forEach((term, i) => {
          const reqs: Fields[] = term['matchLabelExpressions'] ?? [];
          if (reqs.length === 0) return w.write(1, `Term ${i}:\t<none>\n`);
          reqs.forEach((r, j) => w.write(1, `${j === 0 ? `Term ${i}:` : ''}\t${r['key']} in${r['values']?.length ? ` [${r['values'].join(', ')}]` : ''}\n`));
        });
      }
    }
    printEvents(w, events);
  });
};
