import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deserializePE, fieldPath, fieldPE, indexPE, keyPE, pathToString, serializePE, valuePE } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';

const containers = fieldPath('spec', 'template', 'spec', 'containers');

describe('path elements', () => {
  it('serializes as FieldsV1 keys, list-map keys sorted by name', () => {
    assert.equal(serializePE(fieldPE('image')), 'f:image');
    assert.equal(serializePE(keyPE([['protocol', 'TCP'], ['containerPort', 80]])), 'k:{"containerPort":80,"protocol":"TCP"}');
    assert.equal(serializePE(valuePE('example.com/guard')), 'v:"example.com/guard"');
    assert.equal(serializePE(indexPE(3)), 'i:3');
    // Go's encoder escapes HTML characters.
    assert.equal(serializePE(valuePE('a<b')), 'v:"a\\u003cb"');
  });

  it('parses what it writes, and skips unknown element types', () => {
    for (const s of ['f:metadata', 'k:{"containerPort":80,"protocol":"TCP"}', 'v:"x"', 'v:5', 'i:0']) {
      const pe = deserializePE(s);
      assert.ok(pe);
      assert.equal(serializePE(pe), s);
    }
    assert.equal(serializePE(deserializePE('k:{"protocol":"UDP","containerPort":53}')!), 'k:{"containerPort":53,"protocol":"UDP"}');
    assert.equal(deserializePE('z:whatever'), undefined);
    assert.throws(() => deserializePE('f'), /2 characters/);
    assert.throws(() => deserializePE('k:{bad'), /invalid JSON/);
  });

  it('prints paths as upstream does in conflicts', () => {
    assert.equal(pathToString(fieldPath('spec', 'replicas')), '.spec.replicas');
    assert.equal(pathToString([...containers, keyPE([['name', 'nginx']]), fieldPE('image')]), '.spec.template.spec.containers[name="nginx"].image');
    assert.equal(pathToString([fieldPE('ports'), keyPE([['protocol', 'TCP'], ['containerPort', 80]])]), '.ports[containerPort=80,protocol="TCP"]');
    assert.equal(pathToString([...fieldPath('metadata', 'finalizers'), valuePE('a')]), '.metadata.finalizers[="a"]');
  });
});

describe('FieldSet', () => {
  const nginx = keyPE([['name', 'nginx']]);
  const a = FieldSet.of(
    fieldPath('metadata', 'labels'),
    fieldPath('metadata', 'labels', 'app'),
    fieldPath('spec', 'replicas'),
    [...containers, nginx],
    [...containers, nginx, fieldPE('image')],
  );

  it('writes FieldsV1 in upstream order, "." marking a member that also has children', () => {
    assert.deepEqual(JSON.stringify(a.toFieldsV1()), JSON.stringify({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {} } } } } },
    }));
  });

  it('orders fields before keys before values, and names bytewise', () => {
    const s = FieldSet.of([fieldPE('x'), valuePE('b')], [fieldPE('x'), valuePE('a')], [fieldPE('x'), fieldPE('Z')], [fieldPE('x'), keyPE([['k', 1]])], [fieldPE('x'), fieldPE('a')]);
    assert.deepEqual(Object.keys(s.toFieldsV1()['f:x'] as object), ['f:Z', 'f:a', 'k:{"k":1}', 'v:"a"', 'v:"b"']);
  });

  it('reads FieldsV1 back to the same set', () => {
    const back = FieldSet.fromFieldsV1(JSON.parse(JSON.stringify(a.toFieldsV1())));
    assert.ok(back.equals(a));
    assert.equal(back.size, 5);
    assert.ok(back.has(fieldPath('metadata', 'labels')));
    assert.ok(!back.has(fieldPath('metadata')));
    assert.ok(FieldSet.fromFieldsV1('{}').empty);
    assert.throws(() => FieldSet.fromFieldsV1('[1]'), /object/);
  });

  it('combines sets', () => {
    const b = FieldSet.of(fieldPath('spec', 'replicas'), fieldPath('spec', 'paused'));
    assert.deepEqual(a.intersection(b).paths().map(pathToString), ['.spec.replicas']);
    assert.deepEqual(b.difference(a).paths().map(pathToString), ['.spec.paused']);
    assert.equal(a.union(b).size, 6);
    // difference leaves what is below a removed member; recursiveDifference takes it too
    const spec = FieldSet.of(fieldPath('spec'));
    assert.equal(a.difference(spec).size, 5);
    assert.deepEqual(a.recursiveDifference(spec).paths().map(pathToString), ['.metadata.labels', '.metadata.labels.app']);
  });

  it('iterates a level\'s members before the paths below it', () => {
    assert.deepEqual(a.paths().map(pathToString), [
      '.metadata.labels',
      '.metadata.labels.app',
      '.spec.replicas',
      '.spec.template.spec.containers[name="nginx"]',
      '.spec.template.spec.containers[name="nginx"].image',
    ]);
  });
});
