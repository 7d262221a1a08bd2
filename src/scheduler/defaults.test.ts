import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultFrameworkOptions } from './defaults.ts';
import { CycleState, FitError, Framework, Snapshot } from './framework.ts';
import { makeNode, makePod } from './testutil.ts';

describe('default plugins', () => {
  it('spread three replicas with anti-affinity over three zones, then refuse a fourth', () => {
    const fw = new Framework({ ...defaultFrameworkOptions(), random: () => 0 });
    const nodes = [makeNode('a', { labels: { zone: 'a' } }), makeNode('b', { labels: { zone: 'b' } }), makeNode('c', { labels: { zone: 'c' } })];
    const placed = [];
    for (let i = 0; i < 4; i++) {
      const pod = makePod(`web-${i}`, { cpu: '100m' }, {
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' }] } },
      });
      const labelled = { ...pod, metadata: { ...pod.metadata, labels: { app: 'web' } } };
      const r = fw.schedulePod(new CycleState(), labelled, Snapshot.of(nodes, placed));
      if (i < 3) {
        assert.ok(!(r instanceof FitError), `replica ${i}`);
        placed.push({ ...labelled, spec: { ...labelled.spec, containers: labelled.spec?.containers ?? [], nodeName: r.nodeName } });
      } else {
        assert.ok(r instanceof FitError);
        assert.equal(r.message, "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules."); // upstream checks existing pods' terms first
      }
    }
    assert.deepEqual(placed.map((p) => p.spec.nodeName).sort(), ['a', 'b', 'c']);
  });
});
