import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  durationError,
  findUnknownFields,
  pruneUnknownFields,
  quantityError,
  reportedTypeError,
  strictDecodingMessage,
  timeParseError,
  typeCheck,
  unknownFieldMessage,
} from './fieldcheck.ts';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const CRD = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition';

function deployment(extra: (d: any) => void = () => {}): any {
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { 'any-key': 'v' }, annotations: { 'x/y': 'z' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }],
          volumes: [{ name: 'data', hostPath: { path: '/data' } }],
        },
      },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    },
    status: {},
  };
  extra(d);
  return d;
}

describe('unknown fields', () => {
  test('a valid object has none (maps are maps, inline structs are flattened)', () => {
    assert.deepEqual(findUnknownFields(DEPLOYMENT, deployment()), []);
  });

  test('paths as upstream writes them, in document order', () => {
    const d = deployment((d) => {
      d.spec.foo = 1;
      d.spec.template.spec.containers[0].imagePullPolice = 'Always';
      d.spec.template.spec.volumes.push({ name: 'x', hostPath: { path: '/x', bogus: true } });
      d.metadata.Name = 'case matters';
      d.extra = {};
    });
    assert.deepEqual(findUnknownFields(DEPLOYMENT, d), [
      'metadata.Name',
      'spec.template.spec.containers[0].imagePullPolice',
      'spec.template.spec.volumes[1].hostPath.bogus',
      'spec.foo',
      'extra',
    ]);
  });

  test('map values of struct type are checked with the key in the path', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'w.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'w', kind: 'W' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', typo: 1, items: { type: 'string', alsoTypo: 2 } } },
              },
            },
          },
        ],
      },
    };
    // Inside `items` (JSONSchemaPropsOrArray) upstream decodes leniently: nothing is reported there.
    assert.deepEqual(findUnknownFields(CRD, crd), ['spec.versions[0].schema.openAPIV3Schema.properties.spec.typo']);
    const removed = pruneUnknownFields(CRD, crd);
    assert.deepEqual(removed, [
      'spec.versions[0].schema.openAPIV3Schema.properties.spec.typo',
      'spec.versions[0].schema.openAPIV3Schema.properties.spec.items.alsoTypo',
    ]);
    assert.deepEqual(crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec, { type: 'object', items: { type: 'string' } });
  });

  test('RawExtension and FieldsV1 contents are opaque', () => {
    const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r', managedFields: [{ manager: 'm', fieldsV1: { 'f:x': {} } }] }, data: { anything: { goes: true } }, revision: 1 };
    assert.deepEqual(findUnknownFields('io.k8s.api.apps.v1.ControllerRevision', rev), []);
  });

  test('values of the wrong JSON type are not descended into', () => {
    const d = deployment((d) => {
      d.spec.template = 'oops';
    });
    assert.deepEqual(findUnknownFields(DEPLOYMENT, d), []);
  });

  test('prune removes unknown fields in place and reports them', () => {
    const d = deployment((d) => {
      d.spec.foo = 1;
      d.spec.template.spec.containers[0].bar = { baz: 1 };
    });
    assert.deepEqual(pruneUnknownFields(DEPLOYMENT, d), ['spec.template.spec.containers[0].bar', 'spec.foo']);
    assert.deepEqual(d, deployment());
    assert.deepEqual(findUnknownFields(DEPLOYMENT, d), []);
  });

  test('at most 100 paths, each once', () => {
    const d = deployment((d) => {
      for (let i = 0; i < 150; i++) d.spec[`f${i}`] = i;
    });
    const found = findUnknownFields(DEPLOYMENT, d);
    assert.equal(found.length, 100);
    assert.equal(new Set(found).size, 100);
  });

  test('messages', () => {
    assert.equal(unknownFieldMessage('spec.foo'), 'unknown field "spec.foo"');
    assert.equal(strictDecodingMessage(['spec.foo', 'spec.bar']), 'strict decoding error: unknown field "spec.foo", unknown field "spec.bar"');
  });
});

describe('type errors', () => {
  const one = (typeName: string, obj: unknown) => {
    const errs = typeCheck(typeName, obj);
    return reportedTypeError(errs);
  };

  test('a valid object has none', () => {
    assert.deepEqual(typeCheck(DEPLOYMENT, deployment()), []);
  });

  test('scalar mismatches carry the innermost struct and the JSON field stack', () => {
    assert.deepEqual(one(DEPLOYMENT, deployment((d) => (d.spec.replicas = '3'))), {
      path: 'spec.replicas',
      message: 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    });
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.template.spec.containers[0].image = 5)))?.message,
      'json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
    );
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.template.spec.containers[0].ports[0].protocol = 6)))?.message,
      'json: cannot unmarshal number into Go struct field ContainerPort.spec.template.spec.containers.ports.protocol of type v1.Protocol',
    );
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.replicas = 1.5)))?.message,
      'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.paused = 'yes')))?.message,
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool',
    );
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.metadata.labels = { a: 1 })))?.message,
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    );
    assert.equal(one(DEPLOYMENT, deployment((d) => (d.kind = 1)))?.message, 'json: cannot unmarshal number into Go struct field Deployment.kind of type string');
    // Promoted (inline) fields belong to the outer struct.
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.template.spec.volumes[0].hostPath = 'x')))?.message,
      'json: cannot unmarshal string into Go struct field Volume.spec.template.spec.volumes.hostPath of type v1.HostPathVolumeSource',
    );
  });

  test('structs, lists and maps of the wrong kind', () => {
    assert.equal(one(DEPLOYMENT, deployment((d) => (d.spec = 'x')))?.message, 'json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec');
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.template.spec.containers = {})))?.message,
      'json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container',
    );
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.template.spec.containers[0].resources.limits = ['1'])))?.message,
      'json: cannot unmarshal array into Go struct field ResourceRequirements.spec.template.spec.containers.resources.limits of type v1.ResourceList',
    );
    assert.equal(one(DEPLOYMENT, [])?.message, 'json: cannot unmarshal array into Go value of type v1.Deployment');
    assert.equal(
      one('io.k8s.api.rbac.v1.Role', { rules: [{ verbs: [1] }] })?.message,
      'json: cannot unmarshal number into Go struct field PolicyRule.rules.verbs of type string',
    );
  });

  test('null is accepted anywhere', () => {
    assert.deepEqual(typeCheck(DEPLOYMENT, deployment((d) => Object.assign(d.spec, { replicas: null, template: null, selector: null }))), []);
  });

  test('custom unmarshalers: quantity, int-or-string, time', () => {
    assert.deepEqual(one(DEPLOYMENT, deployment((d) => (d.spec.template.spec.containers[0].resources.limits.cpu = 'lots'))), {
      path: 'spec.template.spec.containers[0].resources.limits.cpu',
      message: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      fatal: true,
    });
    assert.equal(typeCheck(DEPLOYMENT, deployment((d) => (d.spec.template.spec.containers[0].resources.limits.cpu = 2))).length, 0);
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.spec.strategy.rollingUpdate.maxSurge = true)))?.message,
      'json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32',
    );
    assert.equal(
      one('io.k8s.api.core.v1.Service', { spec: { ports: [{ port: 80, targetPort: 1.5 }] } })?.message,
      'json: cannot unmarshal number 1.5 into Go struct field ServicePort.spec.ports.targetPort of type int32',
    );
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.metadata.creationTimestamp = 'yesterday')))?.message,
      'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    );
    assert.equal(
      one(DEPLOYMENT, deployment((d) => (d.metadata.creationTimestamp = 12)))?.message,
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string',
    );
  });

  test('a fatal error stops decoding and is the one reported', () => {
    const d = deployment((d) => {
      d.spec.replicas = 'x'; // saved, decoding goes on
      d.spec.template.spec.containers[0].resources.limits.cpu = 'bad'; // fatal
      d.spec.paused = 'y'; // never reached
    });
    const errs = typeCheck(DEPLOYMENT, d);
    assert.deepEqual(errs.map((e) => e.path), ['spec.replicas', 'spec.template.spec.containers[0].resources.limits.cpu']);
    assert.equal(reportedTypeError(errs)?.path, 'spec.template.spec.containers[0].resources.limits.cpu');
  });

  test('base64 in []byte fields', () => {
    assert.deepEqual(typeCheck('io.k8s.api.core.v1.Secret', { data: { a: 'aGVsbG8=' } }), []);
    assert.equal(one('io.k8s.api.core.v1.Secret', { data: { a: 'not base64!' } })?.message, 'illegal base64 data at input byte 3');
    assert.equal(one('io.k8s.api.core.v1.Secret', { data: { a: 5 } })?.message, 'json: cannot unmarshal number into Go struct field Secret.data of type []uint8');
  });

  test('CRD schema forms', () => {
    const crd = (props: unknown) => ({ spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: props } }] } });
    assert.deepEqual(typeCheck(CRD, crd({ type: 'object', additionalProperties: false, items: [{ type: 'string' }] })), []);
    assert.equal(one(CRD, crd({ additionalProperties: 'no' }))?.message, 'boolean or JSON schema expected');
    assert.equal(
      one(CRD, crd({ additionalProperties: { type: 7 } }))?.message,
      'json: cannot unmarshal number into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.additionalProperties of type string',
    );
  });
});

describe('value parsers', () => {
  test('quantities', () => {
    for (const ok of ['1', '100m', '1.5Gi', '0.5', '1e3', '5E-2', '+1', '-2Ki', '128974848', '.5']) assert.equal(quantityError(ok), undefined, ok);
    assert.match(quantityError('abc')!, /^quantities must match/);
    assert.match(quantityError('')!, /^quantities must match/);
    assert.match(quantityError('1.2.3')!, /^quantities must match/);
    assert.equal(quantityError('1ki'), "unable to parse quantity's suffix");
    assert.equal(quantityError('1e'), "unable to parse quantity's suffix");
  });

  test('durations', () => {
    for (const ok of ['0', '1s', '1m30s', '1.5h', '-2ms', '100us', '3µs']) assert.equal(durationError(ok), undefined, ok);
    assert.equal(durationError(''), 'time: invalid duration ""');
    assert.equal(durationError('abc'), 'time: invalid duration "abc"');
    assert.equal(durationError('10'), 'time: missing unit in duration "10"');
    assert.equal(durationError('10x'), 'time: unknown unit "x" in duration "10x"');
  });

  test('RFC3339 times', () => {
    for (const ok of ['2024-05-01T10:20:30Z', '2024-05-01T10:20:30.5Z', '2024-05-01T10:20:30+02:00', '2024-02-29T00:00:00Z']) {
      assert.equal(timeParseError(ok, false), undefined, ok);
    }
    assert.equal(timeParseError('2024-05-01', false), 'parsing time "2024-05-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"');
    assert.equal(timeParseError('2024-13-01T00:00:00Z', false), 'parsing time "2024-13-01T00:00:00Z": month out of range');
    assert.equal(timeParseError('2023-02-29T00:00:00Z', false), 'parsing time "2023-02-29T00:00:00Z": day out of range');
    assert.equal(timeParseError('2024-05-01T10:20:30Zjunk', false), 'parsing time "2024-05-01T10:20:30Zjunk": extra text: "junk"');
    assert.equal(timeParseError('2024-05-01T10:20:30.123456Z', true), undefined);
    assert.equal(
      timeParseError('2024-05-01T10:20:30Z', true),
      'parsing time "2024-05-01T10:20:30Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    );
  });
});
