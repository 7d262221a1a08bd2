import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../types.ts';
import { podTable, summarizePod } from './pod.ts';

const now = Date.parse('2026-11-26T10:21:05Z');
const ago = (ms: number): string => new Date(now - ms).toISOString();

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(60_000), ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

const running = { running: { startedAt: ago(50_000) } };
const readyApp = { name: 'app', ready: true, restartCount: 0, state: running };

describe('pod table columns', () => {
  it('matches kube-apiserver: names, types, formats and priorities', () => {
    assert.deepEqual(
      podTable.columns.map((c) => [c.name, c.type, c.format, c.priority]),
      [
        ['Name', 'string', 'name', 0],
        ['Ready', 'string', '', 0],
        ['Status', 'string', '', 0],
        ['Restarts', 'string', '', 0],
        ['Age', 'string', '', 0],
        ['IP', 'string', '', 1],
        ['Node', 'string', '', 1],
        ['Nominated Node', 'string', '', 1],
        ['Readiness Gates', 'string', '', 1],
      ],
    );
    assert.match(podTable.columns[0]?.description ?? '', /^Name must be unique within a namespace\./);
  });
});

describe('pod table cells', () => {
  it('a running ready pod reads as in samples/table-pods.json', () => {
    const p = pod(
      { nodeName: 'node1' },
      {
        phase: 'Running',
        podIP: '10.244.0.5',
        podIPs: [{ ip: '10.244.0.5' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [readyApp],
      },
      { name: 'nginx-x', creationTimestamp: ago(5000) },
    );
    assert.deepEqual(podTable.cells(p, now), ['nginx-x', '1/1', 'Running', '0', '5s', '10.244.0.5', 'node1', '<none>', '<none>']);
  });

  it('a fresh pending pod', () => {
    const cells = podTable.cells(pod({}, { phase: 'Pending' }, { name: 'web' }), now);
    assert.deepEqual(cells, ['web', '0/1', 'Pending', '0', '60s', '<none>', '<none>', '<none>', '<none>']);
  });

  it('falls back to status.podIP and shows the nominated node', () => {
    const cells = podTable.cells(pod({}, { phase: 'Pending', podIP: '10.0.0.9', nominatedNodeName: 'n2' }), now);
    assert.equal(cells[5], '10.0.0.9');
    assert.equal(cells[7], 'n2');
  });

  it('counts readiness gates that are True', () => {
    const p = pod(
      { readinessGates: [{ conditionType: 'a' }, { conditionType: 'b' }] },
      { phase: 'Running', conditions: [{ type: 'a', status: 'True' }, { type: 'b', status: 'False' }] },
    );
    assert.equal(podTable.cells(p, now)[8], '1/2');
  });
});

describe('pod status', () => {
  const withInit = (initStatuses: unknown[], extra: Record<string, unknown> = {}): KObject =>
    pod(
      { initContainers: [{ name: 'init1' }, { name: 'init2' }] },
      { phase: 'Pending', initContainerStatuses: initStatuses, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }], ...extra },
    );

  it('Init:i/N while an init container runs or waits without a reason', () => {
    assert.equal(summarizePod(withInit([{ name: 'init1', state: running }, { name: 'init2', state: { waiting: {} } }]), now).status, 'Init:0/2');
    const firstDone = [{ name: 'init1', state: { terminated: { exitCode: 0 } } }, { name: 'init2', state: running }];
    assert.equal(summarizePod(withInit(firstDone), now).status, 'Init:1/2');
    const podInitializing = [{ name: 'init1', state: { waiting: { reason: 'PodInitializing' } } }];
    assert.equal(summarizePod(withInit(podInitializing), now).status, 'Init:0/2');
  });

  it('Init:<reason> for a failing or waiting init container', () => {
    const status = (state: unknown): string => summarizePod(withInit([{ name: 'init1', state }]), now).status;
    assert.equal(status({ waiting: { reason: 'CrashLoopBackOff' } }), 'Init:CrashLoopBackOff');
    assert.equal(status({ terminated: { exitCode: 1, reason: 'Error' } }), 'Init:Error');
    assert.equal(status({ terminated: { exitCode: 2 } }), 'Init:ExitCode:2');
    assert.equal(status({ terminated: { exitCode: 137, signal: 9 } }), 'Init:Signal:9');
  });

  it('counts init container restarts while initializing', () => {
    const s = summarizePod(withInit([{ name: 'init1', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }]), now);
    assert.equal(s.restarts, '4');
    assert.equal(s.ready, '0/1');
  });

  it('PodInitializing once init containers are done', () => {
    const done = [
      { name: 'init1', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'init2', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ];
    assert.equal(summarizePod(withInit(done), now).status, 'PodInitializing');
  });

  it('a waiting container reason wins: ContainerCreating, CrashLoopBackOff, ErrImagePull', () => {
    for (const reason of ['ContainerCreating', 'CrashLoopBackOff', 'ErrImagePull']) {
      const p = pod({}, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason } } }] });
      assert.equal(summarizePod(p, now).status, reason);
    }
  });

  it('Completed, Error, ExitCode and Signal from terminated containers', () => {
    const term = (terminated: unknown, phase = 'Failed'): string =>
      summarizePod(pod({}, { phase, containerStatuses: [{ name: 'app', state: { terminated } }] }), now).status;
    assert.equal(term({ exitCode: 0, reason: 'Completed' }, 'Succeeded'), 'Completed');
    assert.equal(term({ exitCode: 1, reason: 'Error' }), 'Error');
    assert.equal(term({ exitCode: 3 }), 'ExitCode:3');
    assert.equal(term({ exitCode: 143, signal: 15 }), 'Signal:15');
  });

  it('Completed turns back to Running or NotReady while another container still runs', () => {
    const statuses = [readyApp, { name: 'side', state: { terminated: { exitCode: 0, reason: 'Completed' } } }];
    const spec = { containers: [{ name: 'app' }, { name: 'side' }] };
    const ready = pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses });
    assert.deepEqual(summarizePod(ready, now), { ready: '1/2', status: 'Running', restarts: '0' });
    const notReady = pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses });
    assert.equal(summarizePod(notReady, now).status, 'NotReady');
  });

  it('a running container that is not ready does not count as ready', () => {
    const p = pod({}, { phase: 'Running', containerStatuses: [{ ...readyApp, ready: false }] });
    assert.deepEqual(summarizePod(p, now), { ready: '0/1', status: 'Running', restarts: '0' });
  });

  it('status.reason replaces the phase (Evicted)', () => {
    assert.equal(summarizePod(pod({}, { phase: 'Failed', reason: 'Evicted' }), now).status, 'Evicted');
  });

  it('SchedulingGated from the PodScheduled condition', () => {
    const p = pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
    assert.equal(summarizePod(p, now).status, 'SchedulingGated');
  });

  it('Terminating when deleted and not finished; Unknown when the node is lost', () => {
    const deleting = { deletionTimestamp: ago(1000) };
    assert.equal(summarizePod(pod({}, { phase: 'Running', containerStatuses: [readyApp] }, deleting), now).status, 'Terminating');
    assert.equal(summarizePod(pod({}, { phase: 'Running', reason: 'NodeLost' }, deleting), now).status, 'Unknown');
    const succeeded = pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, deleting);
    assert.equal(summarizePod(succeeded, now).status, 'Completed');
  });

  it('restarts show when the last one happened', () => {
    const p = pod(
      {},
      {
        phase: 'Running',
        containerStatuses: [{ ...readyApp, restartCount: 3, lastState: { terminated: { exitCode: 1, finishedAt: ago(5 * 60_000) } } }],
      },
    );
    assert.equal(summarizePod(p, now).restarts, '3 (5m ago)');
    const noLastState = pod({}, { phase: 'Running', containerStatuses: [{ ...readyApp, restartCount: 2 }] });
    assert.equal(summarizePod(noLastState, now).restarts, '2');
  });

  it('restartable init containers (sidecars) count toward READY and RESTARTS', () => {
    const p = pod(
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [
          { name: 'proxy', started: true, ready: true, restartCount: 1, state: running, lastState: { terminated: { finishedAt: ago(90_000) } } },
        ],
        containerStatuses: [readyApp],
      },
    );
    assert.deepEqual(summarizePod(p, now), { ready: '2/2', status: 'Running', restarts: '1 (90s ago)' });
  });
});
