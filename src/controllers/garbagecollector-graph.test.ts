// The dependency graph on its own: what it records and what it asks the collector to look at.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../client/client.ts';
import { DependencyGraph, type GraphListener, type GraphNode, type OwnerReference } from './garbagecollector-graph.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };

function recorder() {
  const calls: { deletes: string[]; orphans: string[]; invalid: Array<[string, string]> } = { deletes: [], orphans: [], invalid: [] };
  const listener: GraphListener = {
    attemptToDelete: (node: GraphNode) => calls.deletes.push(node.identity.name),
    attemptToOrphan: (node: GraphNode) => calls.orphans.push(node.identity.name),
    invalidNamespaceOwnerRef: (dep: GraphNode, owner: OwnerReference) => calls.invalid.push([dep.identity.name, owner.name]),
  };
  return { graph: new DependencyGraph(listener), calls };
}

function cm(name: string, uid: string, namespace = 'ns', meta: Record<string, unknown> = {}): KubeObject {
  return { ...CM, metadata: { name, uid, namespace, ...meta } };
}

const ownedBy = (name: string, uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ ...CM, name, uid, ...extra });

describe('DependencyGraph', () => {
  it('an owner named before it is seen is virtual and checked; once observed it is real and keeps its dependents', () => {
    const { graph, calls } = recorder();
    graph.observe('add', CM, cm('child', 'c1', 'ns', { ownerReferences: [ownedBy('parent', 'p1')] }));
    const parent = graph.get('p1')!;
    assert.equal(parent.virtual, true);
    assert.deepEqual(calls.deletes, ['parent']);
    graph.observe('add', CM, cm('parent', 'p1'));
    assert.equal(graph.get('p1'), parent);
    assert.equal(parent.virtual, false);
    assert.deepEqual([...parent.dependents].map((d) => d.identity.name), ['child']);
  });

  it('deleting an owner asks for each dependent, and remembers the owner as absent', () => {
    const { graph, calls } = recorder();
    graph.observe('add', CM, cm('parent', 'p1'));
    graph.observe('add', CM, cm('a', 'a1', 'ns', { ownerReferences: [ownedBy('parent', 'p1')] }));
    graph.observe('add', CM, cm('b', 'b1', 'ns', { ownerReferences: [ownedBy('parent', 'p1')] }));
    graph.observe('delete', CM, cm('parent', 'p1'));
    assert.equal(graph.get('p1'), undefined);
    assert.deepEqual(calls.deletes.sort(), ['a', 'b']);
    assert.equal(graph.absentOwners.has({ ...CM, name: 'parent', uid: 'p1', namespace: 'ns' }), true);
  });

  it('the orphan finalizer on a deleting object asks for orphaning once; foregroundDeletion marks it and asks for its dependents', () => {
    const { graph, calls } = recorder();
    graph.observe('add', CM, cm('parent', 'p1'));
    graph.observe('add', CM, cm('child', 'c1', 'ns', { ownerReferences: [ownedBy('parent', 'p1')] }));
    const deleting = cm('parent', 'p1', 'ns', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'] });
    graph.observe('update', CM, deleting, cm('parent', 'p1'));
    graph.observe('update', CM, deleting, deleting);
    assert.deepEqual(calls.orphans, ['parent']);

    graph.observe('add', CM, cm('other', 'o1'));
    graph.observe('add', CM, cm('dep', 'd1', 'ns', { ownerReferences: [ownedBy('other', 'o1', { blockOwnerDeletion: true })] }));
    graph.observe('update', CM, cm('other', 'o1', 'ns', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }), cm('other', 'o1'));
    assert.equal(graph.get('o1')!.deletingDependents, true);
    assert.deepEqual(calls.deletes.slice(-2), ['dep', 'other']);
    assert.deepEqual(graph.get('o1')!.blockingDependents().map((d) => d.identity.name), ['dep']);
  });

  it('a blocking reference that goes away asks for the owner again', () => {
    const { graph, calls } = recorder();
    graph.observe('add', CM, cm('owner', 'o1'));
    graph.observe('add', CM, cm('dep', 'd1', 'ns', { ownerReferences: [ownedBy('owner', 'o1', { blockOwnerDeletion: true })] }));
    calls.deletes.length = 0;
    graph.observe('update', CM, cm('dep', 'd1', 'ns', { ownerReferences: [ownedBy('owner', 'o1', { blockOwnerDeletion: false })] }));
    assert.deepEqual(calls.deletes, ['owner']);
    graph.observe('update', CM, cm('dep', 'd1', 'ns'));
    assert.equal(graph.get('o1')!.dependents.size, 0);
  });

  it('a namespaced owner seen in another namespace is reported and the dependent checked', () => {
    const { graph, calls } = recorder();
    graph.observe('add', CM, cm('owner', 'o1', 'ns-a'));
    graph.observe('add', CM, cm('dep', 'd1', 'ns-b', { ownerReferences: [ownedBy('owner', 'o1')] }));
    assert.deepEqual(calls.invalid, [['dep', 'owner']]);
    assert.deepEqual(calls.deletes, ['dep']);
  });

  it('a virtual delete for coordinates some dependents disagree on keeps the node under another identity', () => {
    const { graph, calls } = recorder();
    graph.observe('add', CM, cm('a', 'a1', 'ns', { ownerReferences: [ownedBy('right-name', 'p1')] }));
    graph.observe('add', CM, cm('b', 'b1', 'ns', { ownerReferences: [ownedBy('wrong-name', 'p1')] }));
    const virtual = graph.get('p1')!;
    assert.equal(virtual.identity.name, 'right-name');
    calls.deletes.length = 0;
    graph.virtualDelete(virtual.identity);
    assert.equal(graph.get('p1'), virtual, 'the node stays for the dependent that names it otherwise');
    assert.equal(virtual.identity.name, 'wrong-name');
    assert.deepEqual(calls.deletes, ['a', 'wrong-name']);
  });
});
