import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState, NodeInfo } from '../framework.ts';
import { makeNode, makePod } from '../testutil.ts';
import { ERR_REASON_NODE_NAME, newNodeName } from './nodename.ts';

describe('NodeName', () => {
  const pl = newNodeName();
  it('accepts any node when spec.nodeName is empty, only that node otherwise', () => {
    assert.equal(pl.filter(new CycleState(), makePod('p'), new NodeInfo(makeNode('a'))).code, 'Success');
    assert.equal(pl.filter(new CycleState(), makePod('p', {}, { nodeName: 'a' }), new NodeInfo(makeNode('a'))).code, 'Success');
    const s = pl.filter(new CycleState(), makePod('p', {}, { nodeName: 'a' }), new NodeInfo(makeNode('b')));
    assert.equal(s.code, 'UnschedulableAndUnresolvable');
    assert.deepEqual(s.reasons, [ERR_REASON_NODE_NAME]);
  });
});
