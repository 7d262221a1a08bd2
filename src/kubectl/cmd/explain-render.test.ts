import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderPlaintext, typeGuess, wrap } from './explain-render.ts';
import { resourcesFor, shortNameRivals, splitExplainArg } from './explain.ts';
import type { ResourceInfo } from '../discovery.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const doc = {
  paths: {
    '/apis/example.io/v1/namespaces/{namespace}/widgets': { get: { 'x-kubernetes-group-version-kind': { group: 'example.io', kind: 'Widget', version: 'v1' } } },
  },
  components: {
    schemas: {
      'io.example.v1.Widget': {
        description: 'Widget is a thing.',
        'x-kubernetes-group-version-kind': [{ group: 'example.io', kind: 'Widget', version: 'v1' }],
        properties: {
          spec: { allOf: [ref('io.example.v1.WidgetSpec')], description: 'Desired state.' },
          kind: { type: 'string', description: 'Kind of object.' },
        },
        required: ['spec'],
      },
      'io.example.v1.WidgetSpec': {
        description: 'WidgetSpec describes a widget.',
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['', 'Fast', 'Slow', 'Off', 'On'], description: 'How it runs.' },
          parts: { type: 'array', items: { allOf: [ref('io.example.v1.Part')], default: {} }, description: 'Its parts.' },
          labels: { type: 'object', additionalProperties: { type: 'string', default: '' } },
          size: ref('io.example.Quantity'),
        },
      },
      'io.example.v1.Part': { type: 'object', properties: { child: { allOf: [ref('io.example.v1.Part')] }, name: { type: 'string' } }, required: ['name'] },
      'io.example.Quantity': { type: 'string', description: 'A quantity.' },
    },
  },
};
const gvr = { group: 'example.io', version: 'v1', resource: 'widgets' };

describe('explain plaintext rendering', () => {
  it('wraps words as go-wordwrap does', () => {
    assert.equal(wrap(10, 'aaa bbb ccc ddd'), 'aaa bbb\nccc ddd');
    assert.equal(wrap(5, 'abcdefgh ij'), 'abcdefgh\nij');
    assert.equal(wrap(80, 'one\ntwo\n'), 'one\ntwo\n');
  });

  it('guesses types from refs, items and maps', () => {
    const props = doc.components.schemas['io.example.v1.WidgetSpec'].properties;
    assert.equal(typeGuess(props.parts, doc), '[]Part');
    assert.equal(typeGuess(props.labels, doc), 'map[string]string');
    assert.equal(typeGuess(props.size, doc), 'string');
    assert.equal(typeGuess(doc.components.schemas['io.example.v1.Widget'].properties.spec, doc), 'WidgetSpec');
  });

  it('prints the resource with its fields, required marks and enum summaries', () => {
    const { out, error } = renderPlaintext(doc, gvr, { fieldPath: [], recursive: false, maxDepth: 0 });
    assert.equal(error, undefined);
    assert.equal(
      out,
      'GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\nDESCRIPTION:\n    Widget is a thing.\n    \nFIELDS:\n  kind\t<string>\n    Kind of object.\n\n  spec\t<WidgetSpec> -required-\n    Desired state.\n\n\n',
    );
  });

  it('follows a field path and prints the long enum form', () => {
    const { out } = renderPlaintext(doc, gvr, { fieldPath: ['spec', 'mode'], recursive: false, maxDepth: 0 });
    assert.equal(out, 'GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\nFIELD: mode <string>\nENUM:\n    ""\n    Fast\n    Slow\n    Off\n    On\n\nDESCRIPTION:\n    How it runs.\n    \n\n');
    const spec = renderPlaintext(doc, gvr, { fieldPath: ['spec'], recursive: false, maxDepth: 0 }).out;
    assert.match(spec, /  mode\t<string>\n  enum: "", Fast, Slow, Off, \.\.\.\.\n/);
  });

  it('stops recursion at reference cycles', () => {
    const { out } = renderPlaintext(doc, gvr, { fieldPath: ['spec'], recursive: true, maxDepth: 0 });
    assert.match(out, /FIELDS:\n  labels\t<map\[string\]string>\n  mode\t<string>\n  enum: "", Fast, Slow, Off, \.\.\.\.\n  parts\t<\[\]Part>\n    child\t<Part>\n    name\t<string> -required-\n  size\t<string>\n\n$/);
  });

  it('reports a missing field after the header, and an unknown resource path', () => {
    assert.deepEqual(renderPlaintext(doc, gvr, { fieldPath: ['spec', 'nope'], recursive: false, maxDepth: 0 }), {
      out: 'GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\n',
      error: 'error: field "nope" does not exist',
    });
    assert.deepEqual(renderPlaintext(doc, { ...gvr, resource: 'gadgets' }, { fieldPath: [], recursive: false, maxDepth: 0 }), {
      out: '',
      error: 'error: GVR (example.io/v1, Resource=gadgets) not found in OpenAPI schema',
    });
  });
});

describe('explain arguments', () => {
  const info = (group: string, resource: string, kind: string, shortNames: string[] = []): ResourceInfo => ({ group, version: 'v1', resource, kind, singular: kind.toLowerCase(), shortNames, namespaced: true, verbs: ['get'], categories: [] });
  const data = { groupVersions: [], resources: [info('', 'events', 'Event', ['ev']), info('events.k8s.io', 'events', 'Event', ['ev']), info('apps', 'deployments', 'Deployment', ['deploy'])] };

  it('splits the resource from the field path, with or without its group', () => {
    assert.deepEqual(splitExplainArg(data, 'deployments.apps.spec.replicas', true)?.fields, ['spec', 'replicas']);
    assert.deepEqual(splitExplainArg(data, 'deploy.spec', true)?.fields, ['spec']);
    // kubectl's prefix match takes the core `events` first, leaving events.k8s.io as field names.
    assert.deepEqual(splitExplainArg(data, 'events.events.k8s.io', true)?.fields, ['events', 'k8s', 'io']);
    assert.equal(splitExplainArg(data, 'nothing', true), undefined);
    assert.equal(resourcesFor(data, 'ev').length, 2);
  });

  it('names the short-name rivals kubectl warns about', () => {
    assert.deepEqual(shortNameRivals(data, 'ev', data.resources[0]!), ['events.events.k8s.io']);
    assert.deepEqual(shortNameRivals(data, 'events', data.resources[0]!), []);
  });
});
