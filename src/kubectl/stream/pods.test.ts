import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { tryParseGoDuration } from '../goduration.ts';
import { findOrDefaultContainer, mostActive, podRunningTimeout, selectorForObject, selectorString } from './pods.ts';

const pod = (name: string, extra: { node?: string; phase?: string; ready?: boolean; created?: string } = {}): Pod => ({
  metadata: { name, creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z' },
  spec: { containers: [{ name: 'c' }], ...(extra.node && { nodeName: extra.node }) },
  status: { phase: extra.phase ?? 'Pending', conditions: extra.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:01:00Z' }] : [] },
});

describe('choosing the pod and container', () => {
  it('prints selectors as LabelSelectorAsSelector does', () => {
    assert.equal(selectorString({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'x', operator: 'DoesNotExist' }] }), 'a=1,b=2,tier in (api,web),!x');
    assert.equal(selectorForObject({ kind: 'ReplicationController', spec: { selector: { app: 'x' } } }), 'app=x');
    assert.throws(() => selectorForObject({ kind: 'Service', metadata: { name: 's' }, spec: {} }), { message: "cannot attach to *v1.Service: invalid service 's': Service is defined without a selector" });
    assert.throws(() => selectorForObject({ kind: 'ConfigMap', apiVersion: 'v1' }), { message: 'cannot attach to *v1.ConfigMap: selector for *v1.ConfigMap not implemented' });
  });

  it('picks the most active pod: scheduled, running, ready, then the oldest', () => {
    const pending = pod('pending', { node: 'n' });
    const unscheduled = pod('unscheduled', { phase: 'Running' });
    const running = pod('running', { node: 'n', phase: 'Running' });
    const ready = pod('ready', { node: 'n', phase: 'Running', ready: true });
    assert.equal(mostActive([pending, unscheduled, running, ready])?.metadata?.name, 'ready');
    assert.equal(mostActive([pending, running])?.metadata?.name, 'running');
    const older = pod('older', { node: 'n', phase: 'Running', created: '2025-01-01T00:00:00Z' });
    assert.equal(mostActive([running, older])?.metadata?.name, 'older');
    assert.equal(mostActive([]), undefined);
  });

  it('defaults the container as kubectl 1.35 does', () => {
    const two: Pod = { metadata: { name: 'p', annotations: {} }, spec: { containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'i' }] } };
    const notes: string[] = [];
    assert.equal(findOrDefaultContainer(two, undefined, false, (t) => notes.push(t)).name, 'a');
    assert.deepEqual(notes, ['Defaulted container "a" out of: a, b, i (init)\n']);
    assert.equal(findOrDefaultContainer(two, 'i', false, (t) => notes.push(t)).name, 'i');
    assert.throws(() => findOrDefaultContainer(two, 'z', false, () => undefined), { message: 'container z not found in pod p' });
    two.metadata!.annotations!['kubectl.kubernetes.io/default-container'] = 'b';
    assert.equal(findOrDefaultContainer(two, undefined, false, () => assert.fail('no note')).name, 'b');
  });

  it('reads --pod-running-timeout as a Go duration', () => {
    assert.equal(tryParseGoDuration('1m0s'), 60_000);
    assert.equal(tryParseGoDuration('1.5h'), 5_400_000);
    assert.equal(tryParseGoDuration('250ms'), 250);
    assert.equal(tryParseGoDuration('10'), undefined);
    assert.equal(podRunningTimeout(undefined), 60_000);
    assert.deepEqual(podRunningTimeout('x'), { flag: 'invalid argument "x" for "--pod-running-timeout" flag: time: invalid duration "x"' });
    assert.deepEqual(podRunningTimeout('0s'), { usage: '--pod-running-timeout must be higher than zero' });
  });
});
