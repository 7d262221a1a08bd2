import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fieldError, formatBadValue, goQuote, isQualifiedName, isValidLabelValue, nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain,
  nameIsPathSegment, validateIP, validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate,
} from './validation.ts';
import { computeQOSClass, validatePodSpec, validatePodUpdate } from './validation-pod.ts';
import { compareQuantity, parseQuantity } from './validation-quantity.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('field errors print as upstream field.Error', () => {
  it('formats each reason', () => {
    assert.equal(fieldError.required('spec.template.spec.containers[0].image').message, 'spec.template.spec.containers[0].image: Required value');
    assert.equal(fieldError.required('metadata.name', 'name or generateName is required').message, 'metadata.name: Required value: name or generateName is required');
    assert.equal(fieldError.invalid('spec.replicas', -1, 'must be greater than or equal to 0').message, 'spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    assert.equal(
      fieldError.notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']).message,
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
    assert.equal(fieldError.duplicate('spec.containers[1].name', 'web').message, 'spec.containers[1].name: Duplicate value: "web"');
    assert.equal(fieldError.forbidden('spec', 'not allowed').message, 'spec: Forbidden: not allowed');
    assert.equal(fieldError.tooLong('metadata.annotations', 262144).message, 'metadata.annotations: Too long: may not be more than 262144 bytes');
    assert.equal(fieldError.tooMany('endpoints', 1001, 1000).message, 'endpoints: Too many: 1001: must have at most 1000 items');
    assert.equal(fieldError.invalid('x', 'a', 'bad').reason, 'FieldValueInvalid');
    assert.equal(fieldError.notSupported('x', 'a', []).reason, 'FieldValueNotSupported');
  });

  it('quotes like Go and prints structures as JSON', () => {
    assert.equal(goQuote('a"b\\c\n\t'), '"a\\"b\\\\c\\n\\t"');
    assert.equal(goQuote('\x01ü'), '"\\x01ü"');
    assert.equal(formatBadValue(true), 'true');
    assert.equal(formatBadValue(null), 'null');
    assert.equal(formatBadValue({ matchLabels: { app: 'a<b' } }), '{"matchLabels":{"app":"a\\u003cb"}}');
  });
});

describe('name formats', () => {
  it('DNS-1123 subdomain (most kinds)', () => {
    assert.deepEqual(nameIsDNSSubdomain('Bad_Name', false), [SUBDOMAIN_MSG]);
    assert.deepEqual(nameIsDNSSubdomain('good.name-1', false), []);
    assert.deepEqual(nameIsDNSSubdomain('a'.repeat(254), false), ['must be no more than 253 characters']);
    // generateName may end in a dash
    assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
    assert.equal(nameIsDNSSubdomain('web-', false).length, 1);
  });

  it('DNS-1123 label (namespaces) and DNS-1035 label (services)', () => {
    assert.deepEqual(nameIsDNSLabel('a.b', false), ['must not contain dots']);
    assert.deepEqual(nameIsDNS1035Label('1abc', false), [
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
    assert.deepEqual(nameIsDNS1035Label('x'.repeat(64), false)[0], 'must be no more than 63 characters');
  });

  it('path segment names (RBAC)', () => {
    assert.deepEqual(nameIsPathSegment('system:masters', false), []);
    assert.deepEqual(nameIsPathSegment('..', false), ["may not be '..'"]);
    assert.deepEqual(nameIsPathSegment('a/b%c', false), ["may not contain '/'", "may not contain '%'"]);
  });

  it('label keys and values report bytes', () => {
    assert.deepEqual(isQualifiedName('example.com/' + 'a'.repeat(64)), ['name part must be no more than 63 bytes']);
    assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
    assert.deepEqual(isValidLabelValue('a'.repeat(64)), ['must be no more than 63 bytes']);
    assert.equal(isValidLabelValue('-x').length, 1);
    assert.deepEqual(isValidLabelValue(''), []);
  });

  it('IP addresses are strict', () => {
    assert.deepEqual(validateIP('ip', '10.0.0.1'), []);
    assert.equal(validateIP('ip', '10.0.0.256')[0]!.message, 'ip: Invalid value: "10.0.0.256": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    assert.equal(validateIP('ip', '010.0.0.1')[0]!.message, 'ip: Invalid value: "010.0.0.1": must not have leading 0s');
    assert.equal(validateIP('ip', '2001:DB8::1')[0]!.message, 'ip: Invalid value: "2001:DB8::1": must be in canonical form ("2001:db8::1")');
  });
});

describe('object metadata', () => {
  const opts = { namespaced: true, nameFn: nameIsDNSSubdomain };

  it('requires a name and validates it', () => {
    assert.deepEqual(validateObjectMeta({ namespace: 'default' }, opts).map((e) => e.message), ['metadata.name: Required value: name or generateName is required']);
    assert.deepEqual(validateObjectMeta({ name: 'Bad_Name', namespace: 'default' }, opts).map((e) => e.message), [`metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`]);
  });

  it('checks labels, annotations size, finalizers and namespace scope', () => {
    const errs = validateObjectMeta(
      { name: 'x', namespace: 'default', labels: { ok: 'a b' }, annotations: { big: 'x'.repeat(300 * 1024) }, finalizers: ['custom'] },
      opts,
    );
    assert.deepEqual(
      errs.map((e) => e.field),
      ['metadata.labels', 'metadata.annotations', 'metadata.finalizers[0]'],
    );
    assert.equal(errs[2]!.message, 'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified');
    assert.deepEqual(validateObjectMeta({ name: 'n', namespace: 'x' }, { namespaced: false, nameFn: nameIsDNSSubdomain }).map((e) => e.message), [
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('keeps identity fields immutable on update', () => {
    const old = { name: 'a', namespace: 'ns1', uid: 'u1', resourceVersion: '3', creationTimestamp: '2024-01-01T00:00:00Z', generation: 2 };
    const errs = validateObjectMetaUpdate({ ...old, namespace: 'ns2', generation: 1 }, old);
    assert.deepEqual(errs.map((e) => e.message), [
      'metadata.generation: Invalid value: 1: must not be decremented',
      'metadata.namespace: Invalid value: "ns2": field is immutable',
    ]);
    assert.deepEqual(validateObjectMetaUpdate({ ...old, labels: { a: 'b' } }, old), []);
  });
});

describe('labels and selectors', () => {
  it('reports the label map path', () => {
    assert.deepEqual(validateLabels({ 'a/b/c': 'x' }, 'spec.selector').map((e) => e.field), ['spec.selector']);
  });

  it('validates selector requirements', () => {
    const errs = validateLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In' }, { key: 'k', operator: 'Exists', values: ['v'] }, { key: 'k', operator: 'Near' }] }, 'spec.selector');
    assert.deepEqual(errs.map((e) => e.message), [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
    ]);
  });
});

describe('pod spec', () => {
  const spec = (over: Record<string, unknown> = {}) => ({
    containers: [{ name: 'web', image: 'nginx', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }],
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    terminationGracePeriodSeconds: 30,
    ...over,
  });

  it('accepts a defaulted spec', () => {
    assert.deepEqual(validatePodSpec(spec(), 'spec', { isPod: true }), []);
  });

  it('reports container problems with upstream paths and messages', () => {
    const s = spec({
      containers: [
        { name: 'web', image: '', imagePullPolicy: 'Always', terminationMessagePolicy: 'File', ports: [{ containerPort: 70000, protocol: 'TCP' }] },
        { name: 'web', image: 'x', imagePullPolicy: 'Sometimes', terminationMessagePolicy: 'File' },
      ],
      restartPolicy: 'Sometimes',
    });
    assert.deepEqual(validatePodSpec(s, 'spec.template.spec', { isPod: false }).map((e) => e.message), [
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.template.spec.containers[1].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
      'spec.template.spec.containers[1].name: Duplicate value: "web"',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });

  it('checks volume names and sources', () => {
    const s = spec({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }, { name: 'Bad' }] });
    assert.deepEqual(validatePodSpec(s, 'spec', { isPod: true }).map((e) => e.message.split(':').slice(0, 2).join(':')), [
      'spec.volumes[1].name: Duplicate value',
      'spec.volumes[2]: Required value',
      'spec.volumes[2].name: Invalid value',
    ]);
  });

  it('only lets an update change images, deadlines and tolerations', () => {
    const meta = { name: 'p', namespace: 'default', resourceVersion: '1' };
    const old = { metadata: meta, spec: spec() };
    const imageOnly = { metadata: meta, spec: spec({ containers: [{ ...spec().containers[0], image: 'nginx:2' }] }) };
    assert.deepEqual(validatePodUpdate(imageOnly, old), []);
    const errs = validatePodUpdate({ metadata: meta, spec: spec({ dnsPolicy: 'Default' }) }, old);
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.reason, 'FieldValueForbidden');
    assert.ok(
      errs[0]!.message.startsWith(
        'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
      ),
    );
    assert.match(errs[0]!.message, /spec\.dnsPolicy: "ClusterFirst" -> "Default"/);
  });

  it('computes the QoS class', () => {
    assert.equal(computeQOSClass(spec()), 'BestEffort');
    const guaranteed = { containers: [{ resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '0.5', memory: '128Mi' } } }] };
    assert.equal(computeQOSClass(guaranteed), 'Guaranteed');
    assert.equal(computeQOSClass({ containers: [{ resources: { requests: { cpu: '100m' } } }] }), 'Burstable');
  });
});

describe('quantities', () => {
  it('parses suffixes and compares', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('1Gi'), 2 ** 30);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('1.5x'), undefined);
    assert.equal(compareQuantity('1024Mi', '1Gi'), 0);
    assert.equal(compareQuantity('1', '999m'), 1);
  });
});
