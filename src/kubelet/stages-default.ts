// The lifecycle a simulated node plays, as data (kwok's pod/general and node stages, with upstream kubelet's
// condition reasons and messages). `--simulated-stages FILE` replaces stages by name or adds new ones.
import type { Stage, StageRequirement } from './stages.ts';

const notDeleting: StageRequirement = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };
const phase = (...values: string[]): StageRequirement => ({ key: '.status.phase', operator: 'In', values });
/** The delay annotation of a stage, in kwok's spelling: `<stage>.stage.skiff.dev/delay: 2s`. */
const delayAnnotation = (stage: string) => `${stage}.stage.skiff.dev/delay`;

// Statuses are merged in (conditions by type), so a reason or message that no longer applies is cleared with null.
const condition = (type: string, status: string, reason?: string, message?: string) => ({
  type,
  status,
  reason: reason ?? null,
  message: message ?? null,
  lastProbeTime: null,
  lastTransitionTime: '{{ now() }}',
});

const unready = 'containers with unready status: [{{ join(.spec.containers[].name, " ") }}]';
const unreadyProbed = 'containers with unready status: [{{ join(.spec.containers[readinessProbe].name, " ") }}]';
const startedAt = '{{ default(first(.status.containerStatuses[name=$c.name].state.running.startedAt), now()) }}';

/** One containerStatuses entry for the container bound to $c. */
const containerStatus = (ready: unknown, started: boolean, state: unknown, withID = true) => ({
  name: '{{ $c.name }}',
  image: '{{ $c.image }}',
  imageID: '',
  ...(withID ? { containerID: '{{ containerID($c.name) }}' } : {}),
  ready,
  restartCount: 0,
  started,
  lastState: {},
  state,
});

const podStages: Stage[] = [
  {
    // The sandbox is up: the pod has its IP and its containers are being created.
    name: 'pod-create',
    resource: 'Pod',
    selector: { matchExpressions: [notDeleting, phase('Pending'), { key: '.status.podIP', operator: 'DoesNotExist' }] },
    delay: { ms: 0, annotation: delayAnnotation('pod-create') },
    next: {
      status: {
        phase: 'Pending',
        conditions: [
          condition('PodReadyToStartContainers', 'True'),
          {
            $if: 'exists(.spec.initContainers)',
            then: condition('Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [{{ join(.spec.initContainers[].name, " ") }}]'),
            else: condition('Initialized', 'True'),
          },
          condition('Ready', 'False', 'ContainersNotReady', unready),
          condition('ContainersReady', 'False', 'ContainersNotReady', unready),
          condition('PodScheduled', 'True'),
          // Nothing else sets readiness gates on a simulated cluster; kwok passes them.
          { $each: '.spec.readinessGates', as: 'g', value: { ...condition('{{ $g.conditionType }}', 'True') } },
        ],
        hostIP: '{{ first(hostIPs()) }}',
        hostIPs: { $each: 'hostIPs()', as: 'ip', value: { ip: '{{ $ip }}' } },
        podIP: '{{ first(podIPs()) }}',
        podIPs: { $each: 'podIPs()', as: 'ip', value: { ip: '{{ $ip }}' } },
        startTime: '{{ now() }}',
        initContainerStatuses: {
          $if: 'exists(.spec.initContainers)',
          then: { $each: '.spec.initContainers', as: 'c', value: containerStatus(false, false, { waiting: { reason: 'PodInitializing' } }, false) },
        },
        containerStatuses: {
          $each: '.spec.containers',
          as: 'c',
          value: containerStatus(false, false, { waiting: { reason: '{{ if(exists(.spec.initContainers), "PodInitializing", "ContainerCreating") }}' } }, false),
        },
      },
    },
  },
  {
    // Init containers ran to completion (sidecars, restartPolicy Always, keep running).
    name: 'pod-initialized',
    resource: 'Pod',
    selector: {
      matchExpressions: [
        notDeleting,
        phase('Pending'),
        { key: '.status.podIP', operator: 'Exists' },
        { key: '.spec.initContainers', operator: 'Exists' },
        { key: '.status.conditions[type=Initialized].status', operator: 'NotIn', values: ['True'] },
      ],
    },
    delay: { ms: 0, annotation: delayAnnotation('pod-initialized') },
    next: {
      status: {
        conditions: [condition('Initialized', 'True')],
        initContainerStatuses: {
          $each: '.spec.initContainers',
          as: 'c',
          value: {
            $if: 'eq($c.restartPolicy, "Always")',
            then: containerStatus(true, true, { running: { startedAt: '{{ now() }}' } }),
            else: containerStatus(true, false, {
              terminated: { exitCode: 0, reason: 'Completed', startedAt: '{{ now() }}', finishedAt: '{{ now() }}', containerID: '{{ containerID($c.name) }}' },
            }),
          },
        },
        containerStatuses: { $each: '.spec.containers', as: 'c', value: containerStatus(false, false, { waiting: { reason: 'ContainerCreating' } }, false) },
      },
    },
  },
  {
    // Containers started; ready at once unless a readiness probe has yet to pass.
    name: 'pod-running',
    resource: 'Pod',
    selector: {
      matchExpressions: [
        notDeleting,
        phase('Pending'),
        { key: '.status.podIP', operator: 'Exists' },
        { key: '.status.conditions[type=Initialized].status', operator: 'In', values: ['True'] },
        { key: '.status.containerStatuses[].state.running', operator: 'DoesNotExist' },
      ],
    },
    delay: { ms: 0, annotation: delayAnnotation('pod-running') },
    next: {
      status: {
        phase: 'Running',
        conditions: [
          {
            $if: 'exists(.spec.containers[readinessProbe])',
            then: [condition('Ready', 'False', 'ContainersNotReady', unreadyProbed), condition('ContainersReady', 'False', 'ContainersNotReady', unreadyProbed)],
            else: [condition('Ready', 'True'), condition('ContainersReady', 'True')],
          },
        ],
        containerStatuses: {
          $each: '.spec.containers',
          as: 'c',
          value: containerStatus('{{ not(exists($c.readinessProbe)) }}', true, { running: { startedAt: '{{ now() }}' } }),
        },
      },
    },
  },
  {
    // Readiness probes pass once their initialDelaySeconds are over.
    name: 'pod-ready',
    resource: 'Pod',
    selector: {
      matchExpressions: [
        notDeleting,
        phase('Running'),
        { key: '.status.containerStatuses[].state.running', operator: 'Exists' },
        { key: '.status.conditions[type=Ready].status', operator: 'NotIn', values: ['True'] },
      ],
    },
    delay: { expression: 'mul(max(.spec.containers[].readinessProbe.initialDelaySeconds), 1000)', annotation: delayAnnotation('pod-ready') },
    next: {
      status: {
        conditions: [condition('Ready', 'True'), condition('ContainersReady', 'True')],
        containerStatuses: { $each: '.spec.containers', as: 'c', value: containerStatus(true, true, { running: { startedAt } }) },
      },
    },
  },
  {
    // Pods that run to completion (every Job's pods) succeed after a while.
    name: 'pod-complete',
    resource: 'Pod',
    selector: {
      matchExpressions: [
        notDeleting,
        phase('Running'),
        { key: '.spec.restartPolicy', operator: 'In', values: ['Never', 'OnFailure'] },
        { key: '.status.conditions[type=Ready].status', operator: 'In', values: ['True'] },
      ],
    },
    delay: { ms: 1000, annotation: delayAnnotation('pod-complete') },
    next: {
      status: {
        phase: 'Succeeded',
        conditions: [
          condition('PodReadyToStartContainers', 'False'),
          condition('Initialized', 'True', 'PodCompleted'),
          condition('Ready', 'False', 'PodCompleted'),
          condition('ContainersReady', 'False', 'PodCompleted'),
        ],
        containerStatuses: {
          $each: '.spec.containers',
          as: 'c',
          value: containerStatus(false, false, {
            terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: '{{ now() }}', containerID: '{{ containerID($c.name) }}' },
          }),
        },
      },
    },
  },
  {
    // Graceful deletion: the containers stop, then the kubelet deletes the pod with grace period 0.
    name: 'pod-delete',
    resource: 'Pod',
    selector: { matchExpressions: [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }, { key: '.metadata.finalizers', operator: 'DoesNotExist' }] },
    delay: { ms: 0, jitterMs: 500, annotation: delayAnnotation('pod-delete'), notAfter: '.metadata.deletionTimestamp' },
    next: { delete: true },
  },
  {
    // With finalizers the object outlives the delete; ask once, then leave it to the finalizers' owners.
    name: 'pod-delete-with-finalizers',
    resource: 'Pod',
    selector: {
      matchExpressions: [
        { key: '.metadata.deletionTimestamp', operator: 'Exists' },
        { key: '.metadata.finalizers', operator: 'Exists' },
        { key: '.metadata.deletionGracePeriodSeconds', operator: 'NotIn', values: ['0'] },
      ],
    },
    delay: { ms: 0, jitterMs: 500, annotation: delayAnnotation('pod-delete'), notAfter: '.metadata.deletionTimestamp' },
    next: { delete: true },
  },
];

/** The kubelet's own node conditions, in the order it reports them. */
const nodeConditions = [
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
].map(([type, status, reason, message]) => ({ type, status, reason, message, lastHeartbeatTime: '{{ now() }}', lastTransitionTime: '{{ now() }}' }));

const nodeStages: Stage[] = [
  {
    // A node posts its conditions when it starts, and again whenever someone else changed Ready.
    name: 'node-ready',
    resource: 'Node',
    selector: { matchExpressions: [{ key: '.status.conditions[type=Ready].status', operator: 'NotIn', values: ['True'] }] },
    delay: { ms: 0 },
    next: { status: { conditions: nodeConditions } },
  },
  {
    // Unchanged status is still reported every nodeStatusReportFrequency (5 min); the Lease is the frequent heartbeat.
    name: 'node-heartbeat',
    resource: 'Node',
    selector: { matchExpressions: [{ key: '.status.conditions[type=Ready].status', operator: 'In', values: ['True'] }] },
    delay: { ms: 5 * 60_000, jitterMs: 30_000 },
    next: { status: { conditions: nodeConditions } },
  },
];

export const DEFAULT_STAGES: readonly Stage[] = [...podStages, ...nodeStages];
