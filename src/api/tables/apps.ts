// Table columns for the apps API group.
import type { KObject, TableConvertor } from '../types.ts';
import {
  ageColumn,
  ageOf,
  arr,
  col,
  containerCells,
  containersColumn,
  convertor,
  formatLabels,
  formatLabelSelector,
  imagesColumn,
  int,
  labelSelectorString,
  nameColumn,
  nameOf,
  str,
  wide,
} from './format.ts';

const replicaSets = convertor(
  [
    nameColumn(),
    col('Desired', 'integer', 'Number of desired pods.'),
    col('Current', 'integer', 'The most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'string', 'A label query over pods that should match the replica count.'),
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
      formatLabelSelector(obj.spec?.selector),
    ];
  },
);

const deployments = convertor(
  [
    nameColumn(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'string', 'Label selector for pods.'),
  ],
  (obj, now) => {
    const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      `${int(obj.status?.readyReplicas)}/${int(obj.spec?.replicas, 1)}`,
      int(obj.status?.updatedReplicas),
      int(obj.status?.availableReplicas),
      ageOf(obj, now),
      names,
      images,
      labelSelectorString(obj.spec?.selector) ?? '<invalid>',
    ];
  },
);

const daemonSets = convertor(
  [
    nameColumn(),
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    col('Current', 'integer', 'The number of nodes running at least one daemon pod that are supposed to.'),
    col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of it running and ready.'),
    col('Up-to-date', 'integer', 'The total number of nodes running the updated daemon pod.'),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of it running and available.'),
    col('Node Selector', 'string', 'Labels a node must match for the pod to be scheduled on it.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'string', 'A label query over pods that are managed by the daemon set.'),
  ],
  (obj, now) => {
    const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
    const status = obj.status ?? {};
    return [
      nameOf(obj),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(obj.spec?.template?.spec?.nodeSelector),
      ageOf(obj, now),
      names,
      images,
      formatLabelSelector(obj.spec?.selector),
    ];
  },
);

const statefulSets = convertor(
  [nameColumn(), col('Ready', 'string', 'Number of the pod with ready state'), ageColumn(), containersColumn(), imagesColumn()],
  (obj, now) => {
    const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
    return [nameOf(obj), `${int(obj.status?.readyReplicas)}/${int(obj.spec?.replicas, 1)}`, ageOf(obj, now), names, images];
  },
);

/** "kind.group/name" of the controlling owner, lower-cased kind and group; "<none>" without one. */
export function controllerName(obj: KObject): string {
  const ref = arr(obj.metadata?.ownerReferences).find((o) => o?.controller === true);
  if (!ref) return '<none>';
  const apiVersion = str(ref.apiVersion);
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const kind = str(ref.kind);
  if (kind === '' && group === '') return str(ref.name);
  const groupKind = group === '' ? kind : `${kind}.${group}`;
  return `${groupKind.toLowerCase()}/${str(ref.name)}`;
}

const controllerRevisions = convertor(
  [
    nameColumn(),
    col('Controller', 'string', 'Controller of the object'),
    col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ageColumn(),
  ],
  (obj, now) => [nameOf(obj), controllerName(obj), int(obj.revision), ageOf(obj, now)],
);

export const tables: Record<string, TableConvertor> = {
  replicasets: replicaSets,
  deployments,
  daemonsets: daemonSets,
  statefulsets: statefulSets,
  controllerrevisions: controllerRevisions,
};
