import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState, NodeInfo } from '../framework.ts';
import { container, makeNode, makePod } from '../testutil.ts';
import { ERR_REASON_NODE_PORTS, newNodePorts } from './nodeports.ts';

function withPort(name: string, hostPort: number, hostIP?: string, protocol?: string) {
  return makePod(name, {}, { containers: [container({}, { ports: [{ containerPort: 80, hostPort, ...(hostIP ? { hostIP } : {}), ...(protocol ? { protocol } : {}) }] })] });
}

function run(pod: ReturnType<typeof withPort>, node: NodeInfo): string {
  const pl = newNodePorts();
  const state = new CycleState();
  const pre = pl.preFilter(state, pod, [node]);
  if (pre.code === 'Skip') return 'Skip';
  return pl.filter(state, pod, node).code;
}

describe('NodePorts', () => {
  it('skips pods without host ports', () => {
    assert.equal(run(makePod('p'), new NodeInfo(makeNode('a'))), 'Skip');
  });
  it('rejects a host port already used on the node', () => {
    const node = new NodeInfo(makeNode('a'), [withPort('x', 8080)]);
    const pl = newNodePorts();
    const state = new CycleState();
    pl.preFilter(state, withPort('p', 8080), [node]);
    const s = pl.filter(state, withPort('p', 8080), node);
    assert.equal(s.code, 'Unschedulable');
    assert.equal(s.message, ERR_REASON_NODE_PORTS);
    assert.equal(run(withPort('p', 8081), node), 'Success');
    assert.equal(run(withPort('p', 8080, undefined, 'UDP'), node), 'Success');
  });
  it('treats 0.0.0.0 as conflicting with every address', () => {
    const specific = new NodeInfo(makeNode('a'), [withPort('x', 9000, '10.0.0.1')]);
    assert.equal(run(withPort('p', 9000), specific), 'Unschedulable');
    assert.equal(run(withPort('p', 9000, '10.0.0.2'), specific), 'Success');
    assert.equal(run(withPort('p', 9000, '10.0.0.1'), specific), 'Unschedulable');
  });
  it('frees the port when the pod is removed', () => {
    const x = withPort('x', 8080);
    const node = new NodeInfo(makeNode('a'), [x]);
    assert.ok(node.removePod(x));
    assert.equal(run(withPort('p', 8080), node), 'Success');
  });
});
