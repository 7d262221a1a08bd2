import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../api/types.ts';
import { crdDefaults, crdPrepareForCreate, crdPrepareForUpdate, pruneUnknown, resourceTypeForCRD, schemaForVersion, UnknownVersionError, validateCRD } from './crd.ts';
import { cronTab, cronTabCRD } from './crontab.testutil.ts';

function preparedCRD(): KObject {
  const crd = cronTabCRD();
  crdDefaults(crd);
  crdPrepareForCreate(crd);
  return crd;
}

describe('crdDefaults and the CRD strategy', () => {
  it('fills singular, listKind, conversion and storedVersions', () => {
    const crd = cronTabCRD();
    delete crd['spec'].names.singular;
    crdDefaults(crd);
    assert.equal(crd['spec'].names.singular, 'crontab');
    assert.equal(crd['spec'].names.listKind, 'CronTabList');
    assert.deepEqual(crd['spec'].conversion, { strategy: 'None' });
    assert.deepEqual(crd['status'], { storedVersions: ['v1'] });
    assert.equal(crd['spec'].versions[0].served, true);
  });

  it('defaults a webhook service port to 443', () => {
    const crd = cronTabCRD();
    crd['spec'].conversion = { strategy: 'Webhook', webhook: { clientConfig: { service: { name: 's', namespace: 'n' } }, conversionReviewVersions: ['v1'] } };
    crdDefaults(crd);
    assert.equal(crd['spec'].conversion.webhook.clientConfig.service.port, 443);
  });

  it('records a new storage version on update and keeps the stored status', () => {
    const old = preparedCRD();
    old['status'].acceptedNames = { plural: 'crontabs', kind: 'CronTab' };
    const next = structuredClone(old);
    next['spec'].versions[0].storage = false;
    next['spec'].versions.push({ ...structuredClone(next['spec'].versions[0]), name: 'v2', storage: true });
    next['status'] = {};
    crdPrepareForUpdate(next, old);
    assert.deepEqual(next['status'], { storedVersions: ['v1', 'v2'], acceptedNames: { plural: 'crontabs', kind: 'CronTab' } });
  });

  it('accepts the documentation CronTab CRD', () => {
    assert.deepEqual(validateCRD(preparedCRD()), []);
  });
});

describe('resourceTypeForCRD', () => {
  it('describes the version for the registry', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    assert.equal(t.group, 'stable.example.com');
    assert.equal(t.version, 'v1');
    assert.equal(t.kind, 'CronTab');
    assert.equal(t.listKind, 'CronTabList');
    assert.equal(t.plural, 'crontabs');
    assert.equal(t.singular, 'crontab');
    assert.equal(t.namespaced, true);
    assert.deepEqual(t.shortNames, ['ct']);
    assert.deepEqual(t.verbs, ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch']);
    assert.deepEqual(t.subresources, ['status', 'scale']);
    assert.deepEqual(t.scale, { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'status.labelSelector' });
    assert.equal(t.storageResource, 'stable.example.com/crontabs');
    assert.equal(t.schemaType, 'crd:stable.example.com/v1/CronTab');
    assert.equal(t.hasGeneration, true);
  });

  it('serves the accepted names once the CRD has them', () => {
    const crd = preparedCRD();
    crd['status'].acceptedNames = { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct', 'cts'] };
    assert.deepEqual(resourceTypeForCRD(crd, 'v1').shortNames, ['ct', 'cts']);
  });

  it('throws for a version the CRD does not have', () => {
    assert.throws(() => resourceTypeForCRD(preparedCRD(), 'v9'), UnknownVersionError);
  });

  it('defaults, then accepts a valid CronTab', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    const cr = cronTab();
    t.defaults!(cr);
    assert.equal(cr['spec'].replicas, 1);
    assert.deepEqual(t.validateCreate!(cr), []);
  });

  it('rejects a bad CronTab with upstream causes', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    const cr = cronTab({ cronSpec: '* * * *', image: 42, replicas: 15 });
    t.defaults!(cr);
    assert.deepEqual(t.validateCreate!(cr), [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.cronSpec',
        message: "spec.cronSpec: Invalid value: \"* * * *\": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'",
      },
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.image',
        message: 'spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10',
      },
    ]);
  });

  it('checks metadata and type meta', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    const cr = cronTab();
    cr.metadata!.name = 'Not_Valid';
    assert.deepEqual(t.validateCreate!(cr).map((e) => e.field), ['metadata.name']);
    const wrongKind = cronTab();
    wrongKind.kind = 'Other';
    assert.deepEqual(t.validateCreate!(wrongKind).map((e) => e.message), ['kind: Invalid value: "Other": must be CronTab']);
  });

  it('lets custom resources use any qualified finalizer name (core kinds are stricter)', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    const cr = cronTab();
    cr.metadata!.finalizers = ['cleanup'];
    t.defaults!(cr);
    assert.deepEqual(t.validateCreate!(cr), []);
  });

  it('checks the scale paths hold integers', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    const cr = cronTab();
    t.defaults!(cr);
    cr['status'] = { replicas: -1, labelSelector: 5 };
    const messages = t.validateCreate!(cr).map((e) => e.message);
    assert.ok(messages.includes('.status.replicas: Invalid value: -1: should be a non-negative integer'));
    assert.ok(messages.includes('.status.labelSelector: Invalid value: "": .status.labelSelector accessor error: 5 is of the type int64, expected string'));
  });

  it('drops status on create when status is a subresource', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    const cr = cronTab();
    cr['status'] = { replicas: 3 };
    t.prepareForCreate!(cr, {});
    assert.equal(cr['status'], undefined);
  });

  it('ratchets unchanged invalid fields on update', () => {
    const t = resourceTypeForCRD(preparedCRD(), 'v1');
    const old = cronTab({ cronSpec: 'bad', image: 'a', replicas: 1 });
    const next = cronTab({ cronSpec: 'bad', image: 'b', replicas: 1 });
    assert.deepEqual(t.validateUpdate!(next, old), []);
    next['spec'].cronSpec = 'still bad';
    assert.deepEqual(t.validateUpdate!(next, old).map((e) => e.field), ['spec.cronSpec']);
  });

  it('adds the CEL note when rules exist and the object is invalid', () => {
    const crd = preparedCRD();
    crd['spec'].versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] = [{ rule: 'self.replicas > 0' }];
    const t = resourceTypeForCRD(crd, 'v1');
    const cr = cronTab({ image: 1 });
    const errs = t.validateCreate!(cr);
    assert.equal(errs.at(-1)?.message, '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation');
  });

  it('rejects duplicates in set and map lists', () => {
    const crd = preparedCRD();
    Object.assign(crd['spec'].versions[0].schema.openAPIV3Schema.properties.spec.properties, {
      tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['port'],
        items: { type: 'object', required: ['port'], properties: { port: { type: 'integer' } } },
      },
    });
    const t = resourceTypeForCRD(crd, 'v1');
    const cr = cronTab({ image: 'i', tags: ['a', 'b', 'a'], ports: [{ port: 80 }, { port: 80 }] });
    assert.deepEqual(t.validateCreate!(cr).map((e) => e.message), ['spec.tags[2]: Duplicate value: "a"', 'spec.ports[1]: Duplicate value: {"port":80}']);
  });
});

describe('pruneUnknown', () => {
  it('removes unknown fields, keeps type meta and ObjectMeta fields, reports the paths', () => {
    const schema = schemaForVersion(preparedCRD(), 'v1');
    const cr = cronTab({ cronSpec: '* * * * */5', image: 'x', foo: 'bar', nested: { a: 1 } });
    cr.metadata!['bogus'] = true;
    cr['extra'] = 1;
    const removed = pruneUnknown(schema, cr);
    assert.deepEqual(removed, ['metadata.bogus', 'extra', 'spec.foo', 'spec.nested']);
    assert.deepEqual(cr, { ...cronTab({ cronSpec: '* * * * */5', image: 'x' }) });
  });
});

describe('selectable fields', () => {
  it('exposes versions[].selectableFields to field selectors', () => {
    const crd = preparedCRD();
    crd['spec'].versions[0].selectableFields = [{ jsonPath: '.spec.image' }, { jsonPath: '.spec.replicas' }, { jsonPath: '.spec.missing' }];
    const t = resourceTypeForCRD(crd, 'v1');
    assert.deepEqual(t.selectableFields!(cronTab({ image: 'busybox', replicas: 2 })), { 'spec.image': 'busybox', 'spec.replicas': '2', 'spec.missing': '' });
  });
});

describe('several versions', () => {
  it('converts a served version to the storage version and back (strategy None)', () => {
    const crd = preparedCRD();
    const v2 = structuredClone(crd['spec'].versions[0]);
    v2.name = 'v2';
    v2.storage = false;
    v2.schema.openAPIV3Schema.properties.spec.properties.suspend = { type: 'boolean', default: false };
    crd['spec'].versions.push(v2);
    const v1Type = resourceTypeForCRD(crd, 'v1');
    const v2Type = resourceTypeForCRD(crd, 'v2');
    assert.equal(v1Type.convertToStorage, undefined);
    assert.equal(v2Type.storageResource, v1Type.storageResource);

    const cr = cronTab({ cronSpec: '* * * * */5', image: 'i', replicas: 2, suspend: true });
    cr.apiVersion = 'stable.example.com/v2';
    const stored = v2Type.convertToStorage!(cr);
    assert.equal(stored.apiVersion, 'stable.example.com/v1');
    assert.deepEqual(stored['spec'], { cronSpec: '* * * * */5', image: 'i', replicas: 2 });
    const back = v2Type.convertFromStorage!({ ...stored, spec: { image: 'i' } });
    assert.equal(back.apiVersion, 'stable.example.com/v2');
    assert.deepEqual(back['spec'], { image: 'i', replicas: 1 });
  });
});
