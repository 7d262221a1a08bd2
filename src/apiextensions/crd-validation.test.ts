import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../api/types.ts';
import { crdDefaults, crdPrepareForCreate } from './crd.ts';
import { crdWarnings, validateCRD, validateCRDUpdate } from './crd-validation.ts';
import { cronTabCRD } from './crontab.testutil.ts';

function prepared(edit: (crd: KObject) => void = () => {}): KObject {
  const crd = cronTabCRD();
  edit(crd);
  crdDefaults(crd);
  crdPrepareForCreate(crd);
  return crd;
}

const messages = (crd: KObject): string[] => validateCRD(crd).map((e) => e.message);
const schemaOf = (crd: KObject, i = 0): any => crd['spec'].versions[i].schema.openAPIV3Schema;

const V1_INTERNAL = '{"Name":"v1","Served":true,"Storage":true,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null}';

describe('validateCRD', () => {
  it('requires the name to be <plural>.<group>', () => {
    const crd = prepared((c) => (c.metadata!.name = 'crontab.stable.example.com'));
    assert.deepEqual(validateCRD(crd), [
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: 'metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group' },
    ]);
  });

  it('requires exactly one storage version, printing versions in the internal form', () => {
    const crd = prepared((c) => {
      const v2 = structuredClone(c['spec'].versions[0]);
      v2.name = 'v2';
      c['spec'].versions.push(v2);
    });
    const v2Internal = V1_INTERNAL.replace('"Name":"v1"', '"Name":"v2"');
    assert.deepEqual(messages(crd), [
      `spec.versions: Invalid value: [${V1_INTERNAL},${v2Internal}]: must have exactly one version marked as storage version`,
      'status.storedVersions: Invalid value: ["v1"]: must have the storage version v2',
    ]);
  });

  it('requires a dotted group, a known scope and the names', () => {
    const crd = prepared((c) => {
      c['spec'].group = 'example';
      c['spec'].scope = 'Global';
      c['spec'].names = { plural: 'crontabs', kind: 'CronTab', listKind: 'CronTab' };
      c.metadata!.name = 'crontabs.example';
    });
    assert.deepEqual(messages(crd), [
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
      'spec.names.listKind: Invalid value: "CronTab": kind and listKind may not be the same',
    ]);
  });

  it('requires a schema in every version', () => {
    const crd = prepared((c) => delete c['spec'].versions[0].schema);
    assert.deepEqual(messages(crd), ['spec.versions[0].schema.openAPIV3Schema: Required value']);
  });

  it('rejects non-structural schemas (paths in the shared spec.validation form)', () => {
    const crd = prepared((c) => {
      const s = schemaOf(c);
      s.properties.spec.properties.config = {};
      s.properties.spec.properties.tags = { type: 'array' };
      s.properties.spec.anyOf = [{ properties: { other: { type: 'string' } } }];
    });
    assert.deepEqual(messages(crd), [
      'spec.validation.openAPIV3Schema.properties[spec].anyOf[0].properties[other].type: Forbidden: must be empty to be structural',
      'spec.validation.openAPIV3Schema.properties[spec].properties[config].type: Required value: must not be empty for specified object fields',
      'spec.validation.openAPIV3Schema.properties[spec].properties[tags].items: Required value: must be specified',
    ]);
  });

  it('names per-version paths when the versions differ', () => {
    const crd = prepared((c) => {
      const v2 = structuredClone(c['spec'].versions[0]);
      v2.name = 'v2';
      v2.storage = false;
      v2.schema.openAPIV3Schema.properties.spec.properties.image = {};
      c['spec'].versions.push(v2);
    });
    assert.deepEqual(messages(crd), ['spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[image].type: Required value: must not be empty for specified object fields']);
  });

  it('checks defaults against their schema and for unknown fields', () => {
    const crd = prepared((c) => {
      const props = schemaOf(c).properties.spec.properties;
      props.replicas.default = 'one';
      props.window = { type: 'object', properties: { from: { type: 'string' } }, default: { from: 'a', to: 'b' } };
    });
    assert.deepEqual(messages(crd), [
      'spec.validation.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: "string":  in body must be of type integer: "string"',
      'spec.validation.openAPIV3Schema.properties[spec].properties[window].default: Invalid value: {"from":"a","to":"b"}: must not have unknown fields',
    ]);
  });

  it('restricts metadata in the schema and the OpenAPI subset', () => {
    const crd = prepared((c) => {
      const s = schemaOf(c);
      s.properties.metadata = { type: 'object', properties: { labels: { type: 'object' } } };
      s.properties.spec.properties.ids = { type: 'array', uniqueItems: true, items: { type: 'string' } };
      s.properties.spec.properties.weird = { type: 'null' };
    });
    assert.deepEqual(messages(crd), [
      'spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      'spec.validation.openAPIV3Schema.properties[spec].properties[ids].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      'spec.validation.openAPIV3Schema.properties[spec].properties[weird].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"',
      'spec.validation.openAPIV3Schema.properties[spec].properties[weird].type: Forbidden: type cannot be set to null, use nullable as an alternative',
    ]);
  });

  it('checks list-map keys', () => {
    const crd = prepared((c) => {
      schemaOf(c).properties.spec.properties.ports = {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['port', 'missing'],
        items: { type: 'object', properties: { port: { type: 'integer' } } },
      };
    });
    const p = 'spec.validation.openAPIV3Schema.properties[spec].properties[ports]';
    assert.deepEqual(messages(crd), [
      `${p}.x-kubernetes-list-map-keys: Invalid value: ["port","missing"]: entries must all be names of item properties`,
      `${p}.items.properties[port].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ]);
  });

  it('checks printer columns and scale paths', () => {
    const crd = prepared((c) => {
      const v = c['spec'].versions[0];
      v.additionalPrinterColumns = [{ name: '', type: 'text', format: 'weird', jsonPath: 'spec.x' }];
      v.subresources.scale = { specReplicasPath: '.status.replicas', statusReplicasPath: '' };
    });
    assert.deepEqual(messages(crd), [
      'spec.subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
      'spec.subresources.scale.statusReplicasPath: Required value',
      'spec.additionalPrinterColumns[0].name: Required value',
      'spec.additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
      'spec.additionalPrinterColumns[0].format: Invalid value: "weird": must be one of byte,date,date-time,double,float,int32,int64,password',
      'spec.additionalPrinterColumns[0].JSONPath: Invalid value: "spec.x": must be a simple json path starting with .',
    ]);
  });

  it('only allows value validations at the root when status is a subresource', () => {
    const crd = prepared((c) => (schemaOf(c).anyOf = [{ required: ['spec'] }]));
    const [first] = messages(crd);
    assert.match(first!, /^spec\.validation\.openAPIV3Schema: Invalid value: \{"ID":"","Schema":"",.*"AnyOf":\[\{/);
    assert.match(first!, /: only \[Description Type Format .* XValidations\] fields are allowed at the root of the schema if the status subresource is enabled$/);
  });

  it('checks conversion webhooks', () => {
    const crd = prepared((c) => {
      c['spec'].conversion = { strategy: 'Webhook', webhook: { clientConfig: { url: 'http://example.com/convert?x=1' }, conversionReviewVersions: ['v2'] } };
    });
    assert.deepEqual(messages(crd), [
      'spec.conversion.webhookClientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
      'spec.conversion.webhookClientConfig.url: Invalid value: "x=1": query parameters are not permitted in the URL',
      'spec.conversion.conversionReviewVersions: Invalid value: ["v2"]: must include at least one of v1, v1beta1',
    ]);
  });

  it('requires API approval for *.k8s.io groups', () => {
    const crd = prepared((c) => {
      c['spec'].group = 'stable.k8s.io';
      c.metadata!.name = 'crontabs.stable.k8s.io';
    });
    assert.deepEqual(messages(crd), [
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
    crd.metadata!.annotations = { 'api-approved.kubernetes.io': 'unapproved, testing' };
    assert.deepEqual(messages(crd), []);
  });

  it('checks selectable fields', () => {
    const crd = prepared((c) => {
      c['spec'].versions[0].selectableFields = [{ jsonPath: '.spec.image' }, { jsonPath: '.spec.nope' }, { jsonPath: '.status' }, { jsonPath: '.spec.image' }];
    });
    assert.deepEqual(messages(crd), [
      'spec.selectableFields[1].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a valid field',
      'spec.selectableFields[2].jsonPath: Invalid value: ".status": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
      'spec.selectableFields[3].jsonPath: Duplicate value: ".spec.image"',
    ]);
  });

  it('warns about formats it ignores', () => {
    const crd = prepared((c) => (schemaOf(c).properties.spec.properties.image.format = 'docker-image'));
    assert.deepEqual(crdWarnings(crd), ['unrecognized format "docker-image"']);
  });
});

describe('validateCRDUpdate', () => {
  it('keeps group and plural, and scope and kind once established', () => {
    const old = prepared();
    old['status'].conditions = [{ type: 'Established', status: 'True' }];
    const next = structuredClone(old);
    next['spec'].scope = 'Cluster';
    next['spec'].names.plural = 'crontabz';
    next.metadata!.name = 'crontabz.stable.example.com';
    const fields = validateCRDUpdate(next, old).map((e) => e.message);
    assert.ok(fields.includes('spec.scope: Invalid value: "Cluster": field is immutable'));
    assert.ok(fields.includes('spec.names.plural: Invalid value: "crontabz": field is immutable'));
    assert.ok(fields.includes('metadata.name: Invalid value: "crontabz.stable.example.com": field is immutable'));
  });

  it('tolerates an unknown property type the stored CRD already had, not a new one', () => {
    const old = prepared((c) => (schemaOf(c).properties.spec.properties.config = { type: 'map' }));
    const next = structuredClone(old);
    next.metadata!.labels = { a: 'b' };
    assert.deepEqual(validateCRDUpdate(next, old), []);
    const fresh = prepared();
    assert.deepEqual(validateCRDUpdate(next, fresh).map((e) => e.field), ['spec.validation.openAPIV3Schema.properties[spec].properties[config].type']);
  });

  it('still requires structural schemas', () => {
    const old = prepared();
    const next = structuredClone(old);
    next['spec'].versions[0].schema.openAPIV3Schema.properties.spec.properties.config = {};
    assert.deepEqual(validateCRDUpdate(next, old).map((e) => e.message), [
      'spec.validation.openAPIV3Schema.properties[spec].properties[config].type: Required value: must not be empty for specified object fields',
    ]);
  });
});
