import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import { reconcileEndpointSlices, type EndpointSliceObject, type ReconcileInput } from './endpointslice-reconciler.ts';

const svc: Service = {
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { team: 'blue' } },
  spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
};
const node: Node = { metadata: { name: 'node-1' } };

function pod(i: number, ready = true): Pod {
  return {
    metadata: { name: `p${i}`, namespace: 'ns', uid: `uid-${i}`, labels: { app: 'web' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', podIP: `10.0.${Math.floor(i / 250)}.${i % 250}`, podIPs: [{ ip: `10.0.${Math.floor(i / 250)}.${i % 250}` }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const input = (pods: Pod[], existing: EndpointSliceObject[] = []): ReconcileInput => ({ service: svc, pods, existing, node: (n) => (n === 'node-1' ? node : undefined), maxEndpointsPerSlice: 100 });

/** The plan applied as the API would: created slices get names. */
function apply(existing: EndpointSliceObject[], inp: ReconcileInput): EndpointSliceObject[] {
  const byName = new Map(existing.map((s) => [s.metadata!.name!, s]));
  let n = byName.size;
  for (const plan of reconcileEndpointSlices(inp).plans) {
    for (const s of plan.create) byName.set(`web-${n++}`, { ...s, metadata: { ...s.metadata, name: `web-${n - 1}` } });
    for (const s of plan.update) byName.set(s.metadata!.name!, s);
    for (const s of plan.delete) byName.delete(s.metadata!.name!);
  }
  return [...byName.values()];
}

describe('reconcileEndpointSlices', () => {
  it('creates one placeholder slice for a Service without endpoints, and keeps it', () => {
    const first = reconcileEndpointSlices(input([]));
    assert.equal(first.plans.length, 1);
    assert.equal(first.plans[0]!.create.length, 1);
    assert.deepEqual(first.plans[0]!.create[0]!.endpoints, []);
    const slices = apply([], input([]));
    const again = reconcileEndpointSlices(input([], slices)).plans[0]!;
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  });

  it('packs at most maxEndpointsPerSlice endpoints per slice', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(i));
    const slices = apply([], input(pods));
    assert.deepEqual(
      slices.map((s) => s.endpoints.length).sort((a, b) => a - b),
      [50, 100, 100],
    );
  });

  it('changes only the slice holding a changed pod, and adds new pods to a slice with room', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(i));
    const slices = apply([], input(pods));
    const changed = [...pods.slice(0, 149), pod(149, false), pod(150)];
    const plan = reconcileEndpointSlices(input(changed, slices)).plans[0]!;
    assert.equal(plan.create.length, 0);
    assert.equal(plan.delete.length, 0);
    assert.equal(plan.update.length, 1, 'one slice updated: the not-ready pod and the new one');
    const updated = plan.update[0]!;
    assert.equal(updated.endpoints.find((e) => e.targetRef?.name === 'p149')?.conditions?.ready, false);
    assert.ok(updated.endpoints.some((e) => e.targetRef?.name === 'p150'));
  });

  it('leaves out pods on unknown nodes and reports them', () => {
    const lost = { ...pod(1), spec: { ...pod(1).spec!, nodeName: 'gone' } };
    const result = reconcileEndpointSlices(input([pod(0), lost]));
    assert.deepEqual(
      result.plans[0]!.create[0]!.endpoints.map((e) => e.targetRef?.name),
      ['p0'],
    );
    assert.match(result.problems[0]!, /Node gone Not Found/);
  });

  it('deletes slices of an address type the Service no longer has', () => {
    const slices = apply([], input([pod(0)]));
    const v6 = slices.map((s) => ({ ...s, addressType: 'IPv6' }));
    const result = reconcileEndpointSlices(input([pod(0)], v6));
    const deleted = result.plans.flatMap((p) => p.delete).map((s) => s.addressType);
    assert.deepEqual(deleted, ['IPv6']);
  });
});

describe('topology hints for spec.trafficDistribution', () => {
  const zoned: Node = { metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } };
  const withDistribution = (td: string | undefined, pods: Pod[], existing: EndpointSliceObject[] = []): ReconcileInput => ({
    ...input(pods, existing),
    service: { ...svc, spec: { ...svc.spec, ...(td ? { trafficDistribution: td } : {}) } },
    node: (n) => (n === 'node-1' ? zoned : undefined),
  });
  const hintsOf = (slices: EndpointSliceObject[]) => slices.flatMap((s) => s.endpoints.map((ep) => ep.hints as unknown));

  it('hints each ready endpoint for its zone (PreferClose, PreferSameZone), and also its node for PreferSameNode', () => {
    assert.deepEqual(hintsOf(apply([], withDistribution('PreferClose', [pod(0)]))), [{ forZones: [{ name: 'zone-a' }] }]);
    assert.deepEqual(hintsOf(apply([], withDistribution('PreferSameZone', [pod(0)]))), [{ forZones: [{ name: 'zone-a' }] }]);
    assert.deepEqual(hintsOf(apply([], withDistribution('PreferSameNode', [pod(0)]))), [{ forZones: [{ name: 'zone-a' }], forNodes: [{ name: 'node-1' }] }]);
    assert.deepEqual(hintsOf(apply([], withDistribution('PreferClose', [pod(1, false)]))), [undefined], 'a not-ready endpoint gets none');
  });

  it('updates untouched slices when the Service’s trafficDistribution changes, and leaves them alone after', () => {
    const plain = apply([], withDistribution(undefined, [pod(0), pod(1)]));
    assert.deepEqual(hintsOf(plain), [undefined, undefined]);
    const hinted = apply(plain, withDistribution('PreferSameNode', [pod(0), pod(1)], plain));
    assert.deepEqual(hintsOf(hinted), [0, 1].map(() => ({ forZones: [{ name: 'zone-a' }], forNodes: [{ name: 'node-1' }] })));
    const again = reconcileEndpointSlices(withDistribution('PreferSameNode', [pod(0), pod(1)], hinted)).plans[0]!;
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0], 'hints already right: nothing to write');
    assert.deepEqual(hintsOf(apply(hinted, withDistribution(undefined, [pod(0), pod(1)], hinted))), [undefined, undefined], 'removed with the field');
  });
});
