import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToString } from './fieldpath.ts';
import { atomForOpenAPI } from './schema.ts';
import { applySets, updateSets, type ConflictsError, type ManagedSets } from './updater.ts';

const atom = atomForOpenAPI({
  type: 'object',
  properties: {
    listOfLists: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } } } },
    },
    struct: {
      type: 'object',
      properties: { name: { type: 'string' }, scalarField: { type: 'string' }, complexField: { type: 'object', properties: { name: { type: 'string' } } } },
    },
  },
});

/** Runs writes in order, as the API server would store them. */
class Scenario {
  object: unknown = {};
  managers: ManagedSets = new Map();
  apply(manager: string, config: unknown, force = false): this {
    const out = applySets(atom, this.object, config, 'v1', this.managers, manager, force);
    if (out.object !== undefined) this.object = out.object;
    this.managers = out.managers;
    return this;
  }
  update(manager: string, obj: unknown): this {
    this.managers = updateSets(atom, this.object, obj, 'v1', this.managers, manager);
    this.object = obj;
    return this;
  }
  owned(manager: string): string[] {
    return this.managers.get(manager)?.set.paths().map(pathToString) ?? [];
  }
}

describe('apply and update between managers', () => {
  it('removes list items only their last applier owned', () => {
    const s = new Scenario()
      .apply('apply-one', { listOfLists: [{ name: 'a' }, { name: 'b', value: ['c'] }] })
      .apply('apply-two', { listOfLists: [{ name: 'b', value: ['d'] }] })
      .apply('apply-one', { listOfLists: [{ name: 'a' }] });
    assert.deepEqual(s.object, { listOfLists: [{ name: 'a' }, { name: 'b', value: ['d'] }] });
    assert.deepEqual(s.owned('apply-one'), ['.listOfLists[name="a"]', '.listOfLists[name="a"].name']);
    assert.deepEqual(s.owned('apply-two'), ['.listOfLists[name="b"]', '.listOfLists[name="b"].name', '.listOfLists[name="b"].value[="d"]']);
  });

  it('keeps what an updater added below an item the applier gave up', () => {
    const s = new Scenario()
      .apply('apply-one', { listOfLists: [{ name: 'a' }, { name: 'b', value: ['c'] }] })
      .apply('apply-two', { listOfLists: [{ name: 'b', value: ['d'] }] })
      .update('controller', { listOfLists: [{ name: 'a' }, { name: 'b', value: ['c', 'd', 'e'] }] })
      .apply('apply-one', { listOfLists: [{ name: 'a' }] });
    assert.deepEqual(s.object, { listOfLists: [{ name: 'a' }, { name: 'b', value: ['d', 'e'] }] });
    assert.deepEqual(s.owned('controller'), ['.listOfLists[name="b"].value[="e"]']);
  });

  it('keeps a field an updater also set when the applier stops applying it', () => {
    const s = new Scenario()
      .update('updater', { struct: { name: 'a', scalarField: 'a' } })
      .apply('applier', { struct: { name: 'a', scalarField: 'a' } })
      .apply('applier', { struct: { name: 'a' } });
    assert.deepEqual(s.object, { struct: { name: 'a', scalarField: 'a' } });
    assert.deepEqual(s.owned('updater'), ['.struct', '.struct.name', '.struct.scalarField']);
    assert.deepEqual(s.owned('applier'), ['.struct.name']);
  });

  it('removes a field, and a struct below it, when its sole applier stops applying them', () => {
    const s = new Scenario()
      .apply('apply-one', { struct: { name: 'a', scalarField: 'a', complexField: { name: 'b' } } })
      .apply('apply-one', { struct: { name: 'a' } });
    assert.deepEqual(s.object, { struct: { name: 'a' } });
  });

  it('lets an updater take a field from an applier without conflict', () => {
    const s = new Scenario()
      .apply('applier', { struct: { name: 'a', scalarField: 'a' } })
      .update('updater', { struct: { name: 'a', scalarField: 'b' } });
    assert.deepEqual(s.owned('updater'), ['.struct.scalarField']);
    assert.deepEqual(s.owned('applier'), ['.struct.name']);
  });

  it('throws every conflict unless forced', () => {
    const s = new Scenario().apply('apply-one', { struct: { name: 'a', scalarField: 'x' } }).update('edit', { struct: { name: 'b', scalarField: 'y' } });
    assert.throws(
      () => s.apply('apply-one', { struct: { name: 'c', scalarField: 'z' } }),
      (err: ConflictsError) => {
        assert.deepEqual(err.conflicts.map((c) => `${c.manager} ${pathToString(c.path)}`), ['edit .struct.name', 'edit .struct.scalarField']);
        return true;
      },
    );
    s.apply('apply-one', { struct: { name: 'c', scalarField: 'z' } }, true);
    assert.deepEqual(s.object, { struct: { name: 'c', scalarField: 'z' } });
    assert.equal(s.managers.has('edit'), false);
  });
});
