// CustomResourceDefinitions beyond the basics: several served versions with one storage version, and the status and scale
// subresources, through the real kubectl 1.35.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { eventually, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

const schema = (extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties: {
    spec: { type: 'object', properties: { replicas: { type: 'integer', minimum: 0 }, color: { type: 'string' }, ...extra } },
    status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' }, phase: { type: 'string' } } },
  },
});

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: schema() },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
      },
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: schema() }, subresources: { status: {} } },
    ],
  },
};

describe('CustomResourceDefinitions: versions, status and scale', { timeout: 10 * 60_000 }, () => {
  let server: SkiffServer;
  const run = (args: string[], input?: string): Promise<KubectlResult> => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, input });
  const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-o', 'json']));

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite' });
    await ok(['apply', '-f', '-'], JSON.stringify(crd));
    await eventually('the CRD to be Established', async () => {
      const r = await run(['get', 'crd', 'widgets.example.com', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
      return r.stdout === 'True' ? true : undefined;
    }, { timeoutMs: 30_000 });
  });
  after(async () => {
    await server?.stop();
  });

  it('an object written in one version reads back in the other, stored once', { timeout }, async () => {
    const w = { apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'w1' }, spec: { replicas: 1, color: 'red' } };
    assert.equal(await ok(['create', '-f', '-'], JSON.stringify(w)), 'widget.example.com/w1 created\n');
    const asV1 = await json(['get', 'widgets.v1.example.com', 'w1']);
    assert.equal(asV1.apiVersion, 'example.com/v1');
    assert.deepEqual(asV1.spec, { replicas: 1, color: 'red' });
    const asBeta = await json(['get', 'widgets.v1beta1.example.com', 'w1']);
    assert.equal(asBeta.apiVersion, 'example.com/v1beta1');
    assert.equal(asBeta.metadata.uid, asV1.metadata.uid);
  });

  it('status is written only through /status, and the main resource keeps it', { timeout }, async () => {
    await ok(['patch', 'widget', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Ready","replicas":1}}']);
    assert.equal(await ok(['get', 'widget', 'w1', '-o', 'jsonpath={.status.phase}']), 'Ready');
    // A status change through the main resource is ignored; a spec change is kept.
    await ok(['patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"color":"blue"},"status":{"phase":"Broken"}}']);
    const w = await json(['get', 'widget', 'w1']);
    assert.equal(w.spec.color, 'blue');
    assert.equal(w.status.phase, 'Ready');
    assert.equal(w.metadata.generation, 2);
  });

  it('kubectl scale writes spec.replicas through the scale subresource', { timeout }, async () => {
    assert.equal(await ok(['scale', 'widget', 'w1', '--replicas=4']), 'widget.example.com/w1 scaled\n');
    assert.equal(await ok(['get', 'widget', 'w1', '-o', 'jsonpath={.spec.replicas}']), '4');
    const raw = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1/namespaces/default/widgets/w1/scale']));
    assert.equal(raw.kind, 'Scale');
    assert.equal(raw.spec.replicas, 4);
    assert.equal(raw.status.replicas, 1);
  });
});
