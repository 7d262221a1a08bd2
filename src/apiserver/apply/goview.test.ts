import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goView } from './goview.ts';

describe('goView', () => {
  it('shows an empty Deployment as Go writes it', () => {
    assert.deepEqual(goView('io.k8s.api.apps.v1.Deployment', {}), {
      metadata: {},
      spec: { selector: null, template: { metadata: {}, spec: { containers: null } }, strategy: {} },
      status: {},
    });
  });

  it('fills zero values Go always writes and drops empty omitempty fields and undeclared ones', () => {
    assert.deepEqual(goView('io.k8s.api.core.v1.Service', { metadata: { labels: {} }, spec: { ports: [{ port: 80 }], selector: {}, bogus: 1 } }), {
      metadata: {},
      spec: { ports: [{ port: 80, targetPort: 0 }] },
      status: { loadBalancer: {} },
    });
    // a pointer keeps its zero value
    const spec = goView('io.k8s.api.apps.v1.Deployment', { spec: { replicas: 0 } })['spec'] as Record<string, unknown>;
    assert.equal(spec['replicas'], 0);
  });
});
