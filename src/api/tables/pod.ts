// The Pod row: READY, the aggregate STATUS kubectl users know ("Init:0/1", "CrashLoopBackOff", "Terminating" …),
// RESTARTS with the time of the last restart, and the wide columns.
import type { KObject, TableConvertor } from '../types.ts';
import { parseTimestamp, translateTimestampSince } from './duration.ts';
import { ageColumn, ageOf, arr, col, convertor, int, nameColumn, nameOf, str, wide } from './format.ts';

/** Time of a container's last termination (ms), if it has one. */
function lastTerminatedAt(status: any): number | undefined {
  const terminated = status?.lastState?.terminated;
  return terminated ? parseTimestamp(terminated.finishedAt) : undefined;
}

/** The later of two instants; undefined stands for Go's zero time. */
function later(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined) return a;
  if (a === undefined) return b;
  return b > a ? b : a;
}

function conditionTrue(pod: KObject, type: string): boolean {
  const cond = arr(pod.status?.conditions).find((c) => c?.type === type);
  return cond?.status === 'True';
}

function hasReadyCondition(pod: KObject): boolean {
  return arr(pod.status?.conditions).some((c) => c?.type === 'Ready' && c?.status === 'True');
}

/** A terminated state's reason, or "Signal:N" / "ExitCode:N" when it has none. */
function terminatedReason(terminated: any, prefix: string): string {
  if (str(terminated.reason) !== '') return prefix + str(terminated.reason);
  const signal = int(terminated.signal);
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${int(terminated.exitCode)}`;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS of a pod at `now`. */
export function summarizePod(pod: KObject, now: number): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (arr(status.conditions).some((c) => c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  let totalContainers = arr(spec.containers).length;
  let readyContainers = 0;
  const initSpecs = arr(spec.initContainers);
  const sidecars = new Set<string>();
  for (const c of initSpecs) {
    if (c?.restartPolicy === 'Always') {
      sidecars.add(str(c.name));
      totalContainers++;
    }
  }

  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: number | undefined;
  let initializing = false;

  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    const isSidecar = sidecars.has(str(c?.name));
    restarts += int(c?.restartCount);
    lastRestart = later(lastRestart, lastTerminatedAt(c));
    if (isSidecar) {
      sidecarRestarts += int(c?.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, lastTerminatedAt(c));
    }
    const terminated = c?.state?.terminated;
    const waiting = c?.state?.waiting;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (isSidecar && c?.started === true) {
      if (c?.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      reason = terminatedReason(terminated, 'Init:');
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += int(c?.restartCount);
      lastRestart = later(lastRestart, lastTerminatedAt(c));
      const waiting = c?.state?.waiting;
      const terminated = c?.state?.terminated;
      if (waiting && str(waiting.reason) !== '') {
        reason = str(waiting.reason);
      } else if (terminated) {
        reason = terminatedReason(terminated, '');
      } else if (c?.ready === true && c?.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // a pod with a container still running is not "Completed"
    if (reason === 'Completed' && hasRunning) reason = hasReadyCondition(pod) ? 'Running' : 'NotReady';
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';

  let restartText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartText = `${restarts} (${translateTimestampSince(lastRestart, now)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartText };
}

function readinessGates(pod: KObject): string {
  const gates = arr(pod.spec?.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = arr(pod.status?.conditions);
  const met = gates.filter((g) => conditions.find((c) => c?.type === g?.conditionType)?.status === 'True').length;
  return `${met}/${gates.length}`;
}

function podIP(pod: KObject): string {
  const ips = arr(pod.status?.podIPs);
  const ip = ips.length > 0 ? str(ips[0]?.ip) : str(pod.status?.podIP);
  return ip || '<none>';
}

export const podTable: TableConvertor = convertor(
  [
    nameColumn(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn(),
    wide('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.'),
    wide('Node', 'string', 'The node the pod is scheduled onto.'),
    wide('Nominated Node', 'string', 'The node the scheduler nominated for the pod after preempting lower-priority pods.'),
    wide('Readiness Gates', 'string', 'Pod conditions evaluated for pod readiness, as met/total.'),
  ],
  (pod, now) => {
    const s = summarizePod(pod, now);
    return [
      nameOf(pod),
      s.ready,
      s.status,
      s.restarts,
      ageOf(pod, now),
      podIP(pod),
      str(pod.spec?.nodeName) || '<none>',
      str(pod.status?.nominatedNodeName) || '<none>',
      readinessGates(pod),
    ];
  },
);
