import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../types.ts';
import { HPA_ANNOTATIONS, hpaV1ToV2, hpaV2ToV1, resources } from './autoscaling.ts';

const [v2, v1] = resources;

describe('HorizontalPodAutoscaler', () => {
  it('serves v2 and v1 from one storage resource, v2 first', () => {
    assert.deepEqual(resources.map((r) => [r.version, r.storageResource]), [['v2', 'horizontalpodautoscalers'], ['v1', 'horizontalpodautoscalers']]);
    assert.equal(v1!.convertToStorage, hpaV1ToV2);
    assert.equal(v2!.convertToStorage, undefined);
  });

  it('defaults minReplicas and, in v2, the CPU metric and behavior', () => {
    const o: KObject = { spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } };
    v2!.defaults!(o);
    assert.equal(o['spec'].minReplicas, 1);
    assert.deepEqual(o['spec'].metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.deepEqual(o['spec'].behavior.scaleDown, { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.deepEqual(o['spec'].behavior.scaleUp.policies, [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }]);
  });

  it('converts v1 to v2 and back without loss', () => {
    const hpa: KObject = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 50 },
      status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 70 },
    };
    const stored = hpaV1ToV2(hpa);
    assert.equal(stored.apiVersion, 'autoscaling/v2');
    assert.deepEqual(stored['spec'].metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    assert.deepEqual(stored['status'].currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70 } } }]);
    assert.deepEqual(hpaV2ToV1(stored), hpa);
  });

  it('keeps v2-only metrics in the v1 annotation', () => {
    const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } };
    const stored: KObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, metrics: [memory] } };
    const asV1 = hpaV2ToV1(stored);
    assert.equal(asV1['spec'].targetCPUUtilizationPercentage, undefined);
    assert.deepEqual(JSON.parse(asV1.metadata!.annotations![HPA_ANNOTATIONS.metrics]!), [memory]);
    assert.deepEqual(hpaV1ToV2(asV1), stored);
  });

  it('validates replica bounds', () => {
    const o: KObject = { metadata: { name: 'web', namespace: 'd' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 4, maxReplicas: 2 } };
    assert.deepEqual(v1!.validateCreate!(o).map((e) => e.message), ['spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`']);
  });
});
