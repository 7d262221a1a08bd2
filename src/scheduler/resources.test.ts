import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MEMORY_REQUEST, nodeAllocatable, podRequests } from './resources.ts';
import { container, makeNode, makePod } from './testutil.ts';

describe('podRequests', () => {
  it('sums containers, takes the largest init container, adds overhead', () => {
    const pod = makePod('p', {}, {
      containers: [container({ cpu: '2', memory: '1G' }), container({ cpu: '1', memory: '1G' })],
      initContainers: [container({ cpu: '2', memory: '1G' }), container({ cpu: '2', memory: '3G' })],
      overhead: { cpu: '250m' },
    });
    const r = podRequests(pod);
    assert.equal(r.milliCPU, 3250);
    assert.equal(r.memory, 3_000_000_000);
  });

  it('counts sidecars (restartable init containers) alongside the containers', () => {
    const pod = makePod('p', { cpu: '1' }, {
      initContainers: [container({ cpu: '500m' }, { restartPolicy: 'Always' }), container({ cpu: '2' })],
    });
    // init peak: 2 + 0.5 sidecar = 2.5; running: 1 + 0.5 = 1.5
    assert.equal(podRequests(pod).milliCPU, 2500);
  });

  it('keeps extended resources and fills non-zero defaults for scoring', () => {
    const pod = makePod('p', { 'example.com/gpu': '2' });
    const r = podRequests(pod);
    assert.equal(r.scalar.get('example.com/gpu'), 2);
    assert.equal(r.milliCPU, 0);
    const nz = podRequests(pod, true);
    assert.equal(nz.milliCPU, 100);
    assert.equal(nz.memory, DEFAULT_MEMORY_REQUEST);
  });

  it('reads node allocatable with the pod count', () => {
    const a = nodeAllocatable(makeNode('n', { cpu: '1500m', memory: '1Gi', pods: '10' }));
    assert.equal(a.milliCPU, 1500);
    assert.equal(a.memory, 1024 ** 3);
    assert.equal(a.allowedPodNumber, 10);
  });
});
