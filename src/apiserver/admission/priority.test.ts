import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Priority } from './priority.ts';
import { attrs, MemoryObjects, pod, statusErrorOf } from './testutil.ts';

const PC = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };
const pc = (name: string, value: number, more: Record<string, unknown> = {}) => ({ metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority', ...more });

describe('Priority admission', () => {
  it('gives a pod without a class priority 0 and PreemptLowerPriority', async () => {
    const p = pod('p', [{ name: 'c' }]);
    await new Priority(new MemoryObjects()).admit(attrs('pods', 'CREATE', p));
    assert.equal(p['spec'].priority, 0);
    assert.equal(p['spec'].preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(p['spec'].priorityClassName, undefined);
  });

  it('uses the global default class (the lowest one if several)', async () => {
    const objects = new MemoryObjects();
    objects.put(PC, pc('high', 1000, { globalDefault: true }));
    objects.put(PC, pc('low', 10, { globalDefault: true, preemptionPolicy: 'Never' }));
    objects.put(PC, pc('other', 5));
    const p = pod('p', [{ name: 'c' }]);
    await new Priority(objects).admit(attrs('pods', 'CREATE', p));
    assert.deepEqual([p['spec'].priorityClassName, p['spec'].priority, p['spec'].preemptionPolicy], ['low', 10, 'Never']);
  });

  it("resolves a named class to its value and preemption policy, also one only storage has seen", async () => {
    const objects = new MemoryObjects();
    objects.liveOnly.set(MemoryObjects.key(PC, '', 'batch'), pc('batch', 42, { preemptionPolicy: 'Never' }));
    const p = pod('p', [{ name: 'c' }], { priorityClassName: 'batch' });
    await new Priority(objects).admit(attrs('pods', 'CREATE', p));
    assert.equal(p['spec'].priority, 42);
    assert.equal(p['spec'].preemptionPolicy, 'Never');
  });

  it('refuses an unknown class with upstream Forbidden message', async () => {
    const err = await statusErrorOf(() => new Priority(new MemoryObjects()).admit(attrs('pods', 'CREATE', pod('web', [{ name: 'c' }], { priorityClassName: 'nope' }))));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "web" is forbidden: no PriorityClass with name nope was found');
  });

  it('refuses a pod whose own priority or preemption policy disagrees with its class', async () => {
    const objects = new MemoryObjects();
    objects.put(PC, pc('gold', 100));
    const plugin = new Priority(objects);
    const bad = await statusErrorOf(() => plugin.admit(attrs('pods', 'CREATE', pod('p', [{ name: 'c' }], { priorityClassName: 'gold', priority: 7 }))));
    assert.equal(bad.message, 'pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 100 from the given PriorityClass name');
    const badPolicy = await statusErrorOf(() => plugin.admit(attrs('pods', 'CREATE', pod('p', [{ name: 'c' }], { priorityClassName: 'gold', preemptionPolicy: 'Never' }))));
    assert.equal(badPolicy.message, 'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name');
    const same = pod('p', [{ name: 'c' }], { priorityClassName: 'gold', priority: 100 });
    await plugin.admit(attrs('pods', 'CREATE', same));
    assert.equal(same['spec'].priority, 100);
  });

  it('keeps the stored priority on an update that leaves it out', async () => {
    const old = pod('p', [{ name: 'c' }], { priority: 5, preemptionPolicy: 'Never' });
    const next = pod('p', [{ name: 'c' }]);
    await new Priority(new MemoryObjects()).admit({ ...attrs('pods', 'UPDATE', next), oldObject: old });
    assert.equal(next['spec'].priority, 5);
    assert.equal(next['spec'].preemptionPolicy, 'Never');
  });

  it('allows only one global default PriorityClass', async () => {
    const objects = new MemoryObjects();
    objects.put(PC, pc('first', 1, { globalDefault: true }));
    const plugin = new Priority(objects);
    const err = await statusErrorOf(() => plugin.validate(attrs('priorityclasses', 'CREATE', pc('second', 2, { globalDefault: true }), { group: 'scheduling.k8s.io' })));
    assert.equal(err.message, 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist');
    plugin.validate(attrs('priorityclasses', 'UPDATE', pc('first', 1, { globalDefault: true }), { group: 'scheduling.k8s.io' }));
    plugin.validate(attrs('priorityclasses', 'CREATE', pc('third', 3), { group: 'scheduling.k8s.io' }));
  });
});
