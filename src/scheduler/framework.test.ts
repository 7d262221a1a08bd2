import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultFrameworkOptions } from './defaults.ts';
import { CycleState, defaultNormalizeScore, FitError, Framework, numFeasibleNodesToFind, podInfo, SchedulingError, Snapshot } from './framework.ts';
import type { BindPlugin, FilterPlugin, NodeScore, PreFilterPlugin, ReservePlugin, ScorePlugin } from './framework.ts';
import { errorStatus, skip, success, unschedulable } from './status.ts';
import { boundPod, makeNode, makePod } from './testutil.ts';

function scheduled(r: ReturnType<Framework['schedulePod']>): string {
  if (r instanceof FitError) throw r;
  return r.nodeName;
}

describe('Framework', () => {
  it('picks the least-allocated node', () => {
    const fw = new Framework({ ...defaultFrameworkOptions(), random: () => 0 });
    const snapshot = Snapshot.of(
      [makeNode('busy', { cpu: '4', memory: '8Gi' }), makeNode('idle', { cpu: '4', memory: '8Gi' }), makeNode('half', { cpu: '4', memory: '8Gi' })],
      [boundPod('a', 'busy', { cpu: '3', memory: '6Gi' }), boundPod('b', 'half', { cpu: '2', memory: '4Gi' })],
    );
    const r = fw.schedulePod(new CycleState(), makePod('p', { cpu: '500m', memory: '1Gi' }), snapshot);
    assert.equal(scheduled(r), 'idle');
    assert.ok(!(r instanceof FitError));
    assert.ok((r.scores.get('idle') ?? 0) > (r.scores.get('half') ?? 0));
    assert.ok((r.scores.get('half') ?? 0) > (r.scores.get('busy') ?? 0));
  });

  it('breaks ties with the injected RNG', () => {
    const nodes = Snapshot.of([makeNode('a'), makeNode('b'), makeNode('c')]);
    const first = new Framework({ ...defaultFrameworkOptions(), random: () => 0.99 });
    assert.equal(scheduled(first.schedulePod(new CycleState(), makePod('p'), nodes)), 'a');
    const last = new Framework({ ...defaultFrameworkOptions(), random: () => 0 });
    assert.equal(scheduled(last.schedulePod(new CycleState(), makePod('p'), nodes)), 'c');
  });

  it('weights plugin scores and normalizes them', () => {
    const prefer = (name: string, node: string): ScorePlugin => ({
      name,
      score: (_s, _p, n) => (n.name === node ? 7 : 1),
      normalizeScore: (_s, _p, scores: NodeScore[]) => defaultNormalizeScore(100, false, scores),
    });
    const fw = new Framework({ plugins: [prefer('A', 'x'), prefer('B', 'y')], scoreWeights: { A: 1, B: 2 } });
    const r = fw.schedulePod(new CycleState(), makePod('p'), Snapshot.of([makeNode('x'), makeNode('y')]));
    assert.ok(!(r instanceof FitError));
    assert.equal(r.nodeName, 'y');
    assert.equal(r.scores.get('y'), 14 + 200);
    assert.equal(r.scores.get('x'), 100 + 28);
  });

  it('stops each node at its first rejecting filter and records that plugin', () => {
    const calls: string[] = [];
    const reject = (name: string): FilterPlugin => ({ name, filter: (_s, _p, n) => (calls.push(`${name}:${n.name}`), unschedulable(`no ${name}`)) });
    const fw = new Framework({ plugins: [reject('First'), reject('Second')] });
    const r = fw.schedulePod(new CycleState(), makePod('p'), Snapshot.of([makeNode('n')]));
    assert.ok(r instanceof FitError);
    assert.deepEqual(calls, ['First:n']);
    assert.equal(r.diagnosis.nodeToStatus.get('n')?.plugin, 'First');
    assert.equal(r.message, '0/1 nodes are available: 1 no First.');
  });

  it('throws SchedulingError when a plugin fails with Error', () => {
    const broken: FilterPlugin = { name: 'Broken', filter: () => errorStatus(new Error('boom')) };
    const fw = new Framework({ plugins: [broken] });
    assert.throws(() => fw.schedulePod(new CycleState(), makePod('p'), Snapshot.of([makeNode('n')])), SchedulingError);
  });

  it('reports a PreFilter rejection as the whole message', () => {
    const pre: PreFilterPlugin = { name: 'Pre', preFilter: () => unschedulable('pod has unbound immediate PersistentVolumeClaims') };
    const r = new Framework({ plugins: [pre] }).schedulePod(new CycleState(), makePod('p'), Snapshot.of([makeNode('a'), makeNode('b')]));
    assert.ok(r instanceof FitError);
    assert.equal(r.message, '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  });

  it('unreserves every reserve plugin when one fails', () => {
    const log: string[] = [];
    const res = (name: string, ok: boolean): ReservePlugin => ({
      name,
      reserve: () => (log.push(`reserve ${name}`), ok ? success() : unschedulable('no')),
      unreserve: () => void log.push(`unreserve ${name}`),
    });
    const fw = new Framework({ plugins: [res('A', true), res('B', false)] });
    const s = fw.runReserve(new CycleState(), makePod('p'), 'n');
    assert.equal(s.plugin, 'B');
    assert.deepEqual(log, ['reserve A', 'reserve B', 'unreserve B', 'unreserve A']);
  });

  it('binds with the first binder that does not skip', async () => {
    const bound: string[] = [];
    const skipper: BindPlugin = { name: 'Skipper', bind: () => Promise.resolve(skip()) };
    const binder: BindPlugin = { name: 'Binder', bind: (_s, p, node) => (bound.push(`${p.metadata?.name}->${node}`), Promise.resolve(success())) };
    const fw = new Framework({ plugins: [skipper, binder] });
    assert.equal((await fw.runBind(new CycleState(), makePod('p'), 'n')).code, 'Success');
    assert.deepEqual(bound, ['p->n']);
    assert.equal((await new Framework({ plugins: [skipper] }).runBind(new CycleState(), makePod('p'), 'n')).code, 'Skip');
  });

  it('keeps room for pods nominated to a node, from pods of lower priority only', () => {
    const nominated = podInfo({ ...makePod('nominee', { cpu: '1500m' }), spec: { ...makePod('nominee', { cpu: '1500m' }).spec!, priority: 100 } });
    const fw = new Framework({ ...defaultFrameworkOptions(), nominatedPods: (node) => (node === 'a' ? [nominated] : undefined) });
    const snapshot = Snapshot.of([makeNode('a', { cpu: '2' })]);
    const low = fw.schedulePod(new CycleState(), { ...makePod('low', { cpu: '1' }), spec: { ...makePod('low', { cpu: '1' }).spec!, priority: 10 } }, snapshot);
    assert.ok(low instanceof FitError);
    assert.equal(low.message, '0/1 nodes are available: 1 Insufficient cpu.');
    const high = fw.schedulePod(new CycleState(), { ...makePod('high', { cpu: '1' }), spec: { ...makePod('high', { cpu: '1' }).spec!, priority: 200 } }, snapshot);
    assert.equal(scheduled(high), 'a');
  });

  it('tries the node a pod was nominated to first', () => {
    const nodes = Snapshot.of([makeNode('a'), makeNode('b'), makeNode('c')]);
    const fw = new Framework({ ...defaultFrameworkOptions(), random: () => 0 });
    const r = fw.schedulePod(new CycleState(), { ...makePod('p'), status: { nominatedNodeName: 'b' } }, nodes);
    assert.ok(!(r instanceof FitError));
    assert.equal(r.nodeName, 'b');
    assert.equal(r.evaluatedNodes, 1);
  });

  it('looks at a rotating share of large clusters, as upstream', () => {
    assert.equal(numFeasibleNodesToFind(50), 50);
    assert.equal(numFeasibleNodesToFind(5000), 500);
    assert.equal(numFeasibleNodesToFind(1000), 420);
    assert.equal(numFeasibleNodesToFind(200, 10), 100);
    const nodes = Array.from({ length: 300 }, (_, i) => makeNode(`n${String(i).padStart(3, '0')}`));
    const fw = new Framework({ ...defaultFrameworkOptions(), percentageOfNodesToScore: 10, random: () => 0.99 });
    const snapshot = Snapshot.of(nodes);
    const a = fw.schedulePod(new CycleState(), makePod('a'), snapshot);
    const b = fw.schedulePod(new CycleState(), makePod('b'), snapshot);
    assert.ok(!(a instanceof FitError) && !(b instanceof FitError));
    assert.equal(a.evaluatedNodes, 100);
    assert.equal(a.nodeName, 'n000');
    assert.equal(b.nodeName, 'n100');
  });
});
