// helm 4 (from the same npm layer as kubectl 1.35) against `skiff server`: install (server-side apply by default),
// list, status, upgrade, history, rollback and uninstall of a chart made by `helm create`, leaving the cluster
// as helm expects it: release Secrets, objects, labels and annotations. (`helm install --wait` with nodes: test/e2e/cluster.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { helm, kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

void describe('helm 4 against skiff server', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;
  let chart: string;

  const helmEnv = () => ({
    HELM_CACHE_HOME: join(server.dataDir, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(server.dataDir, 'helm', 'config'),
    HELM_DATA_HOME: join(server.dataDir, 'helm', 'data'),
  });
  const runHelm = (args: string[]): Promise<KubectlResult> => helm(args, { kubeconfig: server.kubeconfig, env: helmEnv(), timeoutMs: 90_000 });
  const okHelm = async (args: string[]): Promise<string> => {
    const result = await runHelm(args);
    assert.equal(result.code, 0, `helm ${args.join(' ')} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
    return result.stdout;
  };
  const runKubectl = (args: string[]): Promise<KubectlResult> => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000 });
  const okKubectl = (args: string[]): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000 });
  const getJson = async (args: string[]): Promise<any> => JSON.parse(await okKubectl([...args, '-o', 'json']));

  /** The release record in a release Secret: base64 (Secret data) of base64 of gzipped JSON. */
  const decodeRelease = (secret: any): any => {
    const inner = Buffer.from(secret.data.release, 'base64').toString('utf8');
    return JSON.parse(gunzipSync(Buffer.from(inner, 'base64')).toString('utf8'));
  };
  const releaseSecret = (revision: number) => getJson(['get', 'secret', `sh.helm.release.v1.demo.v${revision}`]);

  const assertReleaseSecret = async (revision: number, status: string): Promise<void> => {
    const secret = await releaseSecret(revision);
    assert.equal(secret.type, 'helm.sh/release.v1');
    assert.equal(secret.metadata.namespace, 'default');
    assert.equal(secret.metadata.labels.owner, 'helm');
    assert.equal(secret.metadata.labels.name, 'demo');
    assert.equal(secret.metadata.labels.status, status);
    assert.equal(secret.metadata.labels.version, String(revision));
    const release = decodeRelease(secret);
    assert.equal(release.name, 'demo');
    assert.equal(release.namespace, 'default');
    assert.equal(release.version, revision);
    assert.equal(release.info.status, status);
  };

  const replicas = async (): Promise<string> => okKubectl(['get', 'deployment', 'demo', '-o', 'jsonpath={.spec.replicas}']);

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', signal: abort.signal });
    mkdirSync(join(server.dataDir, 'charts'));
    chart = join(server.dataDir, 'charts', 'demo');
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('helm create makes a chart', { timeout }, async () => {
    assert.equal(await okHelm(['create', chart]), `Creating ${chart}\n`);
  });

  void it('helm install deploys with server-side apply', { timeout }, async () => {
    const out = await okHelm(['install', 'demo', chart]);
    assert.match(out, /^NAME: demo$/m);
    assert.match(out, /^NAMESPACE: default$/m);
    assert.match(out, /^STATUS: deployed$/m);
    assert.match(out, /^REVISION: 1$/m);
    await assertReleaseSecret(1, 'deployed');

    for (const kind of ['deployment', 'service', 'serviceaccount']) {
      const object = await getJson(['get', kind, 'demo', '--show-managed-fields']);
      assert.equal(object.metadata.labels['app.kubernetes.io/managed-by'], 'Helm', `${kind} label`);
      assert.equal(object.metadata.labels['app.kubernetes.io/instance'], 'demo', `${kind} label`);
      assert.equal(object.metadata.labels['helm.sh/chart'], 'demo-0.1.0', `${kind} label`);
      assert.equal(object.metadata.annotations['meta.helm.sh/release-name'], 'demo', `${kind} annotation`);
      assert.equal(object.metadata.annotations['meta.helm.sh/release-namespace'], 'default', `${kind} annotation`);
      assert.deepEqual(
        // The deployment controller's status writes are recorded too, under the status subresource.
        object.metadata.managedFields.filter((m: any) => m.subresource !== 'status').map((m: any) => `${m.manager}/${m.operation}`),
        ['helm/Apply'],
        `${kind} was server-side applied by helm`,
      );
    }
    assert.equal(await replicas(), '1');
    const deployment = await getJson(['get', 'deployment', 'demo']);
    assert.equal(deployment.spec.template.spec.containers[0].image, 'nginx:1.16.0');
    assert.equal(deployment.spec.template.spec.serviceAccountName, 'demo');
  });

  void it('helm list shows the release', { timeout }, async () => {
    const out = await okHelm(['list']);
    assert.match(out, /^NAME\s+NAMESPACE\s+REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s*$/m);
    assert.match(out, /^demo\s+default\s+1\s+\d{4}-\d\d-\d\d \S+ \+0000 UTC\s+deployed\s+demo-0\.1\.0\s+1\.16\.0\s*$/m);
    const list = JSON.parse(await okHelm(['list', '-o', 'json']));
    assert.deepEqual(
      list.map((r: any) => [r.name, r.namespace, r.revision, r.status, r.chart]),
      [['demo', 'default', '1', 'deployed', 'demo-0.1.0']],
    );
  });

  void it('helm status shows the release and its resources', { timeout }, async () => {
    const out = await okHelm(['status', 'demo']);
    assert.match(out, /^NAME: demo$/m);
    assert.match(out, /^STATUS: deployed$/m);
    assert.match(out, /^REVISION: 1$/m);
    assert.match(out, /^DESCRIPTION: Install complete$/m);
    assert.match(out, /^==> v1\/Deployment\nNAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndemo\s+0\/1\s+[01]\s+0\s+\S+$/m);
    assert.match(out, /^==> v1\/Service\nNAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\ndemo\s+ClusterIP\s+[\d.]+\s+<none>\s+80\/TCP\s+\S+$/m);
    assert.match(out, /^==> v1\/ServiceAccount\nNAME\s+SECRETS\s+AGE\ndemo\s+0\s+\S+$/m);
  });

  void it('helm upgrade with a changed value', { timeout }, async () => {
    const out = await okHelm(['upgrade', 'demo', chart, '--set', 'replicaCount=2']);
    assert.match(out, /^Release "demo" has been upgraded\. Happy Helming!$/m);
    assert.match(out, /^STATUS: deployed$/m);
    assert.match(out, /^REVISION: 2$/m);
    assert.equal(await replicas(), '2');
    await assertReleaseSecret(1, 'superseded');
    await assertReleaseSecret(2, 'deployed');
  });

  void it('helm history shows both revisions', { timeout }, async () => {
    const out = await okHelm(['history', 'demo']);
    assert.match(out, /^REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION\s*$/m);
    assert.match(out, /^1\s+.+\s+superseded\s+demo-0\.1\.0\s+1\.16\.0\s+Install complete\s*$/m);
    assert.match(out, /^2\s+.+\s+deployed\s+demo-0\.1\.0\s+1\.16\.0\s+Upgrade complete\s*$/m);
    const history = JSON.parse(await okHelm(['history', 'demo', '-o', 'json']));
    assert.deepEqual(
      history.map((h: any) => [h.revision, h.status, h.description]),
      [
        [1, 'superseded', 'Install complete'],
        [2, 'deployed', 'Upgrade complete'],
      ],
    );
  });

  void it('helm rollback to revision 1 makes revision 3', { timeout }, async () => {
    const out = await okHelm(['rollback', 'demo', '1']);
    assert.match(out, /^Rollback was a success! Happy Helming!$/m);
    assert.equal(await replicas(), '1');
    const history = JSON.parse(await okHelm(['history', 'demo', '-o', 'json']));
    assert.deepEqual(
      history.map((h: any) => [h.revision, h.status, h.description]),
      [
        [1, 'superseded', 'Install complete'],
        [2, 'superseded', 'Upgrade complete'],
        [3, 'deployed', 'Rollback to 1'],
      ],
    );
    await assertReleaseSecret(2, 'superseded');
    await assertReleaseSecret(3, 'deployed');
    assert.equal(
      await okKubectl(['get', 'secrets', '-l', 'owner=helm,name=demo', '-o', 'name']),
      'secret/sh.helm.release.v1.demo.v1\nsecret/sh.helm.release.v1.demo.v2\nsecret/sh.helm.release.v1.demo.v3\n',
    );
  });

  void it('helm uninstall removes the objects and the release Secrets', { timeout }, async () => {
    assert.equal(await okHelm(['uninstall', 'demo']), 'release "demo" uninstalled\n');
    for (const kind of ['deployment', 'service', 'serviceaccount']) {
      const gone = await runKubectl(['get', kind, 'demo']);
      assert.equal(gone.code, 1, `${kind} demo still exists: ${gone.stdout}`);
      assert.match(gone.stderr, /\(NotFound\)/);
    }
    assert.equal(await okKubectl(['get', 'secrets', '-l', 'owner=helm', '-o', 'name']), '');
    assert.deepEqual(JSON.parse(await okHelm(['list', '-o', 'json'])), []);
    const status = await runHelm(['status', 'demo']);
    assert.equal(status.code, 1);
    assert.equal(status.stderr, 'Error: release: not found\n');
  });
});
