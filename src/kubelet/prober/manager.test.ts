// The probe manager: workers, thresholds, startup gating, listener calls and events. Probes are scripted (a fake
// runProbe) on a shrunken clock — one spec second is 20 ms — except the last suite, which probes a real HTTP server
// and writes events through the real recorder to a real API server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../client/client.ts';
import { EventRecorder } from '../../client/events.ts';
import type { ProbeKind, ProbeListener } from '../seams.ts';
import type { ProbeResult, ProbeTarget } from './common.ts';
import { ProbeManager, type ProbeManagerOptions } from './manager.ts';

const SECOND_MS = 20;

async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A probe spec tagged with its kind, so the scripted runner knows which one it runs. */
const probe = (kind: ProbeKind, extra: Partial<Probe> = {}): Probe => ({ exec: { command: [kind] }, periodSeconds: 1, ...extra });

function makePod(containers: Container[], initContainers: Container[] = []): Pod {
  return { metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { containers, initContainers } };
}

interface Call {
  kind: ProbeKind;
  containerId: string;
  signal: AbortSignal;
}

interface Recorded {
  type: string;
  reason: string;
  message: string;
  fieldPath: string | undefined;
  kind: unknown;
}

class Harness {
  readonly calls: Call[] = [];
  readonly unhealthy: { podUID: string; name: string; containerId: string; kind: string; message: string }[] = [];
  readonly changed: { ready: boolean | undefined; started: boolean | undefined; calls: number }[] = [];
  readonly events: Recorded[] = [];
  readonly manager: ProbeManager;
  readonly scripts = new Map<ProbeKind, (n: number, call: Call) => ProbeResult | Promise<ProbeResult>>();

  constructor(
    readonly watch: { podUID: string; name: string } = { podUID: 'uid-1', name: 'app' },
    extra: Partial<ProbeManagerOptions> = {},
  ) {
    const listener: ProbeListener = {
      unhealthy: (podUID, name, containerId, kind, message) => this.unhealthy.push({ podUID, name, containerId, kind, message }),
      changed: () =>
        this.changed.push({ ready: this.manager.ready(watch.podUID, watch.name), started: this.manager.started(watch.podUID, watch.name), calls: this.calls.length }),
    };
    this.manager = new ProbeManager({
      runtime: { execSync: () => Promise.reject(new Error('scripted')) },
      listener,
      recorder: {
        event: (obj, type, reason, message, fieldPath) => this.events.push({ type, reason, message, fieldPath, kind: (obj as KubeObject).kind }),
      },
      nodeName: 'node-1',
      secondMs: SECOND_MS,
      random: () => 0,
      runProbe: (spec: Probe, target: ProbeTarget, signal: AbortSignal) => {
        const kind = spec.exec!.command![0] as ProbeKind;
        const call = { kind, containerId: target.containerId, signal };
        this.calls.push(call);
        const script = this.scripts.get(kind) ?? (() => ({ result: 'success', message: '' }));
        return Promise.resolve(script(this.count(kind), call));
      },
      ...extra,
    });
  }

  count(kind: ProbeKind, containerId?: string): number {
    return this.calls.filter((c) => c.kind === kind && (containerId === undefined || c.containerId === containerId)).length;
  }

  /** Results in order, the last one repeating. */
  script(kind: ProbeKind, results: ProbeResult['result'][], message = 'nope'): void {
    this.scripts.set(kind, (n) => {
      const result = results[Math.min(n, results.length) - 1]!;
      return { result, message: result === 'success' ? '' : message };
    });
  }
}

describe('ProbeManager', () => {
  it('readiness: false until successThreshold successes, unknown keeps the last result, failureThreshold failures make it false', async () => {
    const h = new Harness();
    h.script('readiness', ['failure', 'success', 'success', 'unknown', 'unknown', 'unknown', 'failure', 'failure', 'failure'], 'HTTP probe failed with statuscode: 503');
    const container: Container = { name: 'app', readinessProbe: probe('readiness', { successThreshold: 2, failureThreshold: 3 }) };
    h.manager.add(makePod([container]), container, 'ctr-1', ['10.0.0.5']);
    assert.equal(h.manager.ready('uid-1', 'app'), false);
    assert.equal(h.manager.started('uid-1', 'app'), undefined);

    await waitFor('ready, then not ready again', () => h.changed.length >= 2);
    h.manager.stop();
    assert.deepEqual(h.changed, [
      { ready: true, started: undefined, calls: 3 },
      { ready: false, started: undefined, calls: 9 },
    ]);
    const unhealthy = h.events.filter((e) => e.reason === 'Unhealthy');
    assert.ok(unhealthy.every((e) => e.type === 'Warning' && e.kind === 'Pod' && e.fieldPath === 'spec.containers{app}'));
    assert.deepEqual(
      unhealthy.slice(0, 5).map((e) => e.message),
      [
        'Readiness probe failed: HTTP probe failed with statuscode: 503',
        'Readiness probe errored and resulted in unknown state: HTTP probe failed with statuscode: 503',
        'Readiness probe failed: HTTP probe failed with statuscode: 503',
        'Readiness probe failed: HTTP probe failed with statuscode: 503',
        'Readiness probe failed: HTTP probe failed with statuscode: 503',
      ],
    );
    assert.equal(h.unhealthy.length, 0, 'readiness never asks for a restart');
  });

  it('liveness: failureThreshold failures report unhealthy once, then wait for a new container', async () => {
    const h = new Harness();
    h.script('liveness', ['failure'], 'boom');
    const container: Container = { name: 'app', livenessProbe: probe('liveness') };
    const pod = makePod([container]);
    h.manager.add(pod, container, 'ctr-1', ['10.0.0.5']);
    assert.equal(h.manager.ready('uid-1', 'app'), undefined);

    await waitFor('unhealthy', () => h.unhealthy.length === 1);
    assert.deepEqual(h.unhealthy[0], { podUID: 'uid-1', name: 'app', containerId: 'ctr-1', kind: 'liveness', message: 'boom' });
    await pause(10 * SECOND_MS);
    assert.equal(h.count('liveness'), 3, 'no probes while waiting for the container to be replaced');
    assert.equal(h.unhealthy.length, 1);
    assert.deepEqual(
      h.events.map((e) => [e.reason, e.message, e.fieldPath]),
      Array.from({ length: 3 }, () => ['Unhealthy', 'Liveness probe failed: boom', 'spec.containers{app}']),
    );

    // The same container again changes nothing; a new one is probed from scratch.
    h.manager.add(pod, container, 'ctr-1', ['10.0.0.5']);
    await pause(5 * SECOND_MS);
    assert.equal(h.count('liveness'), 3);
    h.manager.add(pod, container, 'ctr-2', ['10.0.0.5']);
    await waitFor('unhealthy again', () => h.unhealthy.length === 2);
    h.manager.stop();
    assert.equal(h.unhealthy[1]!.containerId, 'ctr-2');
    assert.equal(h.count('liveness', 'ctr-2'), 3);
  });

  it('a liveness success in between starts the count of failures again', async () => {
    const h = new Harness();
    h.script('liveness', ['failure', 'failure', 'success', 'failure', 'failure', 'failure']);
    const container: Container = { name: 'app', livenessProbe: probe('liveness') };
    h.manager.add(makePod([container]), container, 'ctr-1', []);
    await waitFor('unhealthy', () => h.unhealthy.length === 1);
    h.manager.stop();
    assert.equal(h.count('liveness'), 6);
  });

  it('startup gates liveness and readiness until it succeeds, then stops probing', async () => {
    const h = new Harness();
    h.script('startup', ['failure', 'failure', 'success']);
    const container: Container = {
      name: 'app',
      startupProbe: probe('startup', { failureThreshold: 5 }),
      livenessProbe: probe('liveness'),
      readinessProbe: probe('readiness'),
    };
    h.manager.add(makePod([container]), container, 'ctr-1', ['10.0.0.5']);
    assert.equal(h.manager.started('uid-1', 'app'), false);
    assert.equal(h.manager.ready('uid-1', 'app'), false);

    await waitFor('ready', () => h.manager.ready('uid-1', 'app'));
    await waitFor('a few liveness probes', () => h.count('liveness') >= 3);
    h.manager.stop();
    const firstOther = h.calls.findIndex((c) => c.kind !== 'startup');
    assert.equal(firstOther, 3, 'nothing but startup probes until the startup probe succeeded');
    assert.equal(h.count('startup'), 3, 'the startup probe stops once it has succeeded');
    assert.equal(h.manager.started('uid-1', 'app'), undefined, 'stopped: nothing known any more');
    assert.deepEqual(h.changed.slice(0, 2), [
      { ready: false, started: true, calls: 3 },
      { ready: true, started: true, calls: h.changed[1]!.calls },
    ]);
    assert.deepEqual(
      h.events.map((e) => e.message),
      ['Startup probe failed: nope', 'Startup probe failed: nope'],
    );
  });

  it('startup failing failureThreshold times reports unhealthy and never runs liveness', async () => {
    const h = new Harness();
    h.script('startup', ['failure'], 'not yet');
    const container: Container = { name: 'app', startupProbe: probe('startup', { failureThreshold: 2 }), livenessProbe: probe('liveness') };
    h.manager.add(makePod([container]), container, 'ctr-1', ['10.0.0.5']);
    await waitFor('unhealthy', () => h.unhealthy.length === 1);
    await pause(5 * SECOND_MS);
    h.manager.stop();
    assert.deepEqual(h.unhealthy, [{ podUID: 'uid-1', name: 'app', containerId: 'ctr-1', kind: 'startup', message: 'not yet' }]);
    assert.equal(h.count('startup'), 2);
    assert.equal(h.count('liveness'), 0);
  });

  it('waits initialDelaySeconds before the first probe', async () => {
    const h = new Harness();
    const container: Container = { name: 'app', readinessProbe: probe('readiness'), livenessProbe: probe('liveness', { initialDelaySeconds: 1000 }) };
    h.manager.add(makePod([container]), container, 'ctr-1', ['10.0.0.5']);
    await waitFor('readiness probes', () => h.count('readiness') >= 5);
    h.manager.stop();
    assert.equal(h.count('liveness'), 0);
  });

  it('never runs two probes of one worker at once, even when a probe outlasts its period', async () => {
    const h = new Harness();
    let running = 0;
    let most = 0;
    let done = 0;
    h.scripts.set('readiness', async () => {
      running++;
      most = Math.max(most, running);
      await pause(5 * SECOND_MS);
      running--;
      done++;
      return { result: 'success', message: '' };
    });
    const container: Container = { name: 'app', readinessProbe: probe('readiness') };
    h.manager.add(makePod([container]), container, 'ctr-1', ['10.0.0.5']);
    await waitFor('three probes', () => done >= 3);
    h.manager.stop();
    assert.equal(most, 1);
    assert.ok(h.count('readiness') <= done + 1);
  });

  it('remove, removePod and stop end the workers and cancel probes in flight', async () => {
    const h = new Harness({ podUID: 'uid-1', name: 'a' });
    h.scripts.set('readiness', (_n, call) => new Promise<ProbeResult>((resolve) => call.signal.addEventListener('abort', () => resolve({ result: 'unknown', message: 'probe cancelled' }))));
    const a: Container = { name: 'a', readinessProbe: probe('readiness') };
    const b: Container = { name: 'b', livenessProbe: probe('liveness') };
    const pod = makePod([a, b]);
    h.manager.add(pod, a, 'ctr-a', ['10.0.0.5']);
    h.manager.add(pod, b, 'ctr-b', ['10.0.0.5']);
    await waitFor('a probe in flight', () => h.count('readiness') === 1);
    h.manager.remove('uid-1', 'a');
    assert.equal(h.calls.find((c) => c.kind === 'readiness')!.signal.aborted, true);
    assert.equal(h.manager.ready('uid-1', 'a'), undefined);
    assert.equal(h.manager.stats.workers, 1);

    await waitFor('liveness probes of b', () => h.count('liveness') >= 2);
    h.manager.removePod('uid-1');
    assert.equal(h.manager.stats.workers, 0);
    const after = h.calls.length;
    await pause(5 * SECOND_MS);
    assert.equal(h.calls.length, after);
    assert.equal(h.count('readiness'), 1);
    assert.equal(h.events.length, 0, 'a cancelled probe is not an event');

    const stop = new AbortController();
    const h2 = new Harness(undefined, { signal: stop.signal });
    h2.manager.add(pod, b, 'ctr-b', ['10.0.0.5']);
    await waitFor('a probe', () => h2.count('liveness') >= 1);
    stop.abort();
    const count = h2.calls.length;
    h2.manager.add(pod, b, 'ctr-c', ['10.0.0.5']);
    await pause(5 * SECOND_MS);
    assert.equal(h2.calls.length, count);
    assert.equal(h2.manager.stats.workers, 0);
  });

  it('records a ProbeWarning for a success with a warning, and names init containers in the field path', async () => {
    const h = new Harness({ podUID: 'uid-1', name: 'sidecar' });
    h.scripts.set('readiness', () => ({ result: 'success', message: 'Probe terminated redirects, Response body: moved', warning: true }));
    const sidecar: Container = { name: 'sidecar', restartPolicy: 'Always', readinessProbe: probe('readiness') };
    h.manager.add(makePod([{ name: 'app' }], [sidecar]), sidecar, 'ctr-s', ['10.0.0.5']);
    await waitFor('ready', () => h.manager.ready('uid-1', 'sidecar'));
    h.manager.stop();
    assert.deepEqual(h.events[0], {
      type: 'Warning',
      reason: 'ProbeWarning',
      message: 'Readiness probe warning: Probe terminated redirects, Response body: moved',
      fieldPath: 'spec.initContainers{sidecar}',
      kind: 'Pod',
    });
  });

  it('jitters the first probe over a period while the agent is young', async () => {
    const h = new Harness(undefined, { random: () => 0.999 });
    const container: Container = { name: 'app', readinessProbe: probe('readiness', { periodSeconds: 1000 }), livenessProbe: probe('liveness') };
    h.manager.add(makePod([container]), container, 'ctr-1', ['10.0.0.5']);
    // Liveness (period 1) is jittered by at most one short period and runs; readiness waits most of its long period.
    await waitFor('liveness probes', () => h.count('liveness') >= 3);
    h.manager.stop();
    assert.equal(h.count('readiness'), 0);
  });
});

describe('ProbeManager against a real server and API server', () => {
  let cluster: TestCluster;
  let server: http.Server;
  let port = 0;
  let status = 200;
  before(async () => {
    cluster = await startTestCluster();
    server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.close();
    await cluster?.stop();
  });

  it('follows an HTTP readiness endpoint and counts repeated liveness failures on one Event', async () => {
    const recorder = new EventRecorder(cluster.client, { component: 'kubelet', host: 'node-1' });
    const changes: boolean[] = [];
    const unhealthy: string[] = [];
    const manager: ProbeManager = new ProbeManager({
      runtime: { execSync: () => Promise.reject(new Error('unused')) },
      listener: {
        changed: () => changes.push(manager.ready('uid-real', 'web') ?? false),
        unhealthy: (_uid, _name, _id, kind, message) => unhealthy.push(`${kind}: ${message}`),
      },
      recorder,
      nodeName: 'node-1',
      secondMs: SECOND_MS,
      random: () => 0,
    });
    const container: Container = {
      name: 'web',
      ports: [{ name: 'http', containerPort: port }],
      // timeoutSeconds 100: two seconds on this clock, room for a loaded machine.
      readinessProbe: { httpGet: { port: 'http', path: '/ready' }, periodSeconds: 1, timeoutSeconds: 100, failureThreshold: 1 },
      livenessProbe: { httpGet: { port: 'http', path: '/live' }, periodSeconds: 1, timeoutSeconds: 100, failureThreshold: 3 },
    };
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'real', namespace: 'default', uid: 'uid-real' }, spec: { containers: [container] } };
    manager.add(pod, container, 'ctr-real', ['127.0.0.1']);
    try {
      await waitFor('ready', () => manager.ready('uid-real', 'web'));
      status = 500;
      await waitFor('unhealthy', () => unhealthy.length === 1);
      await waitFor('not ready', () => manager.ready('uid-real', 'web') === false);
    } finally {
      manager.stop();
    }
    assert.deepEqual(unhealthy, ['liveness: HTTP probe failed with statuscode: 500']);
    assert.deepEqual(changes.slice(0, 2), [true, false]);
    await recorder.flush();
    type Event = KubeObject & { count?: number; message?: string; reason?: string; type?: string; source?: { component?: string; host?: string }; involvedObject?: { fieldPath?: string; kind?: string } };
    const events = (await cluster.client.list<Event>(gvr.events, 'default', { fieldSelector: 'involvedObject.name=real' })).items;
    const liveness = events.find((e) => e.message === 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    assert.ok(liveness, `liveness event among ${events.map((e) => e.message).join(' | ')}`);
    assert.equal(liveness.count, 3);
    assert.equal(liveness.reason, 'Unhealthy');
    assert.equal(liveness.type, 'Warning');
    assert.deepEqual(liveness.source, { component: 'kubelet', host: 'node-1' });
    assert.deepEqual([liveness.involvedObject?.kind, liveness.involvedObject?.fieldPath], ['Pod', 'spec.containers{web}']);
    assert.ok(events.some((e) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 500'));
  });
});
