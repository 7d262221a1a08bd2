// Table columns for the autoscaling API group (HorizontalPodAutoscaler, v2 shape; v1 objects are mapped onto it).
import type { KObject, TableConvertor } from '../types.ts';
import { ageColumn, ageOf, arr, col, convertor, int, nameColumn, nameOf, str } from './format.ts';
import { canonicalQuantity } from './quantity.ts';

/** A quantity pointer as Go prints it: "<nil>" when unset. */
function q(v: unknown): string {
  return v === undefined || v === null ? '<nil>' : canonicalQuantity(v);
}

/** autoscaling/v1's single CPU target as the v2 metric list. */
function v2Metrics(hpa: KObject): { specs: any[]; statuses: any[] } {
  if (!str(hpa.apiVersion).startsWith('autoscaling/v1')) {
    return { specs: arr(hpa.spec?.metrics), statuses: arr(hpa.status?.currentMetrics) };
  }
  const specs: any[] = [];
  const statuses: any[] = [];
  if (typeof hpa.spec?.targetCPUUtilizationPercentage === 'number') {
    specs.push({
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa.spec.targetCPUUtilizationPercentage } },
    });
  }
  if (typeof hpa.status?.currentCPUUtilizationPercentage === 'number') {
    statuses.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: hpa.status.currentCPUUtilizationPercentage } } });
  }
  return { specs, statuses };
}

function percent(v: unknown): string {
  return `${int(v)}%`;
}

/** One "resource: current/target" style entry; `status` is the matching status entry's source, if any. */
function formatResourceMetric(source: any, status: any): string {
  const name = str(source?.name);
  if (source?.target?.averageValue !== undefined && source?.target?.averageValue !== null) {
    const current = status ? q(status.current?.averageValue) : '<unknown>';
    return `${name}: ${current}/${q(source.target.averageValue)}`;
  }
  const current = typeof status?.current?.averageUtilization === 'number' ? percent(status.current.averageUtilization) : '<unknown>';
  const target = typeof source?.target?.averageUtilization === 'number' ? percent(source.target.averageUtilization) : '<auto>';
  return `${name}: ${current}/${target}`;
}

function formatValueMetric(source: any, status: any): string {
  if (source?.target?.averageValue !== undefined && source?.target?.averageValue !== null) {
    const avg = status?.current?.averageValue;
    const current = status && avg !== undefined && avg !== null ? q(avg) : '<unknown>';
    return `${current}/${q(source.target.averageValue)} (avg)`;
  }
  const current = status ? q(status.current?.value) : '<unknown>';
  return `${current}/${q(source?.target?.value)}`;
}

/** The TARGETS cell: at most two metrics, then "+ N more...". */
export function formatHPAMetrics(hpa: KObject): string {
  const { specs, statuses } = v2Metrics(hpa);
  if (specs.length === 0) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses[i];
    switch (spec?.type) {
      case 'External':
        list.push(formatValueMetric(spec.external, st?.external ?? undefined));
        break;
      case 'Pods': {
        const current = st?.pods ? q(st.pods.current?.averageValue) : '<unknown>';
        list.push(`${current}/${q(spec.pods?.target?.averageValue)}`);
        break;
      }
      case 'Object':
        list.push(formatValueMetric(spec.object, st?.object ?? undefined));
        break;
      case 'Resource':
        list.push(formatResourceMetric(spec.resource, st?.resource ?? undefined));
        break;
      case 'ContainerResource':
        list.push(formatResourceMetric(spec.containerResource, st?.containerResource ?? undefined));
        break;
      default:
        list.push('<unknown type>');
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

const horizontalPodAutoscalers = convertor(
  [
    nameColumn(),
    col('Reference', 'string', 'The target resource to scale, as Kind/name.'),
    col('Targets', 'string', 'The metrics used to calculate the desired replica count, as current/target.'),
    col('MinPods', 'string', 'The lower limit for the number of replicas.'),
    col('MaxPods', 'string', 'The upper limit for the number of replicas.'),
    col('Replicas', 'string', 'Current number of replicas of pods managed by this autoscaler.'),
    ageColumn(),
  ],
  (hpa, now) => [
    nameOf(hpa),
    `${str(hpa.spec?.scaleTargetRef?.kind)}/${str(hpa.spec?.scaleTargetRef?.name)}`,
    formatHPAMetrics(hpa),
    typeof hpa.spec?.minReplicas === 'number' ? String(int(hpa.spec.minReplicas)) : '<unset>',
    int(hpa.spec?.maxReplicas),
    int(hpa.status?.currentReplicas),
    ageOf(hpa, now),
  ],
);

export const tables: Record<string, TableConvertor> = { horizontalpodautoscalers: horizontalPodAutoscalers };
