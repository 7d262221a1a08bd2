import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState, NodeInfo } from '../framework.ts';
import { makeNode, makePod } from '../testutil.ts';
import { newNodeUnschedulable } from './nodeunschedulable.ts';

describe('NodeUnschedulable', () => {
  const pl = newNodeUnschedulable();
  const cordoned = new NodeInfo(makeNode('a', { unschedulable: true }));
  it('rejects cordoned nodes', () => {
    const s = pl.filter(new CycleState(), makePod('p'), cordoned);
    assert.equal(s.code, 'UnschedulableAndUnresolvable');
    assert.equal(s.message, 'node(s) were unschedulable');
    assert.equal(pl.filter(new CycleState(), makePod('p'), new NodeInfo(makeNode('b'))).code, 'Success');
  });
  it('admits pods tolerating node.kubernetes.io/unschedulable', () => {
    const pod = makePod('p', {}, { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    assert.equal(pl.filter(new CycleState(), pod, cordoned).code, 'Success');
  });
});
