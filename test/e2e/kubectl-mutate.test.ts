// Skiff's kubectl beside kubectl 1.35 for the verbs that change things: create <generator>, run, set, patch, edit,
// autoscale. Each command runs through both against one API server and must print the same (a client dry run's
// YAML and JSON exactly); commands that change state work on twin objects (kreal-… / kskif-…).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubectl } from '../support/kubectl.ts';
import { same as sameIn, type SameOptions } from '../support/kubectl-sidebyside.ts';

const timeout = 180_000;

/** What differs between twin objects made a moment apart: identities and times. */
const identities = (s: string) =>
  s
    .replace(/(uid|"uid"):\s*"?[0-9a-f-]{36}"?/g, '$1: <uid>')
    .replace(/(resourceVersion|"resourceVersion"):\s*"\d+"/g, '$1: <rv>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<time>')
    .replace(/kubectl-edit-\d+\.yaml/g, 'kubectl-edit-<n>.yaml');

describe('skiff kubectl create/run/set/patch/edit/autoscale beside kubectl 1.35', { timeout: 20 * 60_000 }, () => {
  let cluster: TestCluster;
  let dir: string;
  const same = (args: string[], options: SameOptions = {}) => sameIn(cluster.kubeconfig, args, options);

  before(async () => {
    cluster = await startTestCluster({ controllers: {} });
    dir = await mkdtemp(join(tmpdir(), 'skiff-kubectl-mutate-'));
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf', 'app.properties'), 'color=blue\nsize=3\n');
    await writeFile(join(dir, 'conf', 'motd.txt'), 'hello\n');
    await writeFile(join(dir, 'app.env'), '# settings\nMODE=prod\nLEVEL=2\n');
    await writeFile(join(dir, 'patch.yaml'), 'spec:\n  replicas: 4\n');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=skiff.test'], { stdio: 'ignore' });
    const editor = async (name: string, script: string) => {
      await writeFile(join(dir, name), `#!/bin/sh\n${script}\n`);
      await chmod(join(dir, name), 0o755);
    };
    await editor('scale-to-3.sh', `sed -i 's/^  replicas: 1$/  replicas: 3/' "$1"`);
    await editor('invalid.sh', `sed -i 's/^  replicas: 3$/  replicas: -1/' "$1"`);
    await editor('invalid-then-fix.sh', `if grep -q 'was not valid' "$1"; then sed -i 's/^  replicas: -1$/  replicas: 5/' "$1"; else sed -i 's/^  replicas: 3$/  replicas: -1/' "$1"; fi`);
    for (const tool of ['kreal', 'kskif']) {
      for (const args of [
        ['create', 'deployment', `${tool}-app`, '--image=nginx'],
        ['create', 'deployment', `${tool}-ed`, '--image=nginx'],
        ['create', 'cronjob', `${tool}-cj`, '--image=busybox', '--schedule=@hourly'],
        ['create', 'configmap', `${tool}-cfg`, '--from-literal=db_host=db'],
        ['create', 'serviceaccount', `${tool}-sa`],
      ]) {
        const r = await kubectl(args, { kubeconfig: cluster.kubeconfig });
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
    }
  });
  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (cases: string[][], options: SameOptions = {}) => async () => {
    for (const args of cases) await same(args.map((a) => a.replace(/DIR/g, dir)), options);
  };

  void it(
    'create: every generator as a client dry run, printed as YAML, JSON and name',
    { timeout },
    run([
      ['create', 'deployment', 'KTOOL-web', '--image=nginx', '--port=80', '-r', '2', '--dry-run=client', '-o', 'yaml'],
      ['create', 'deployment', 'web', '--image=nginx', '--image=redis:7', '--dry-run=client', '-o', 'json', '-n', 'shop'],
      ['create', 'namespace', 'team-a', '--dry-run=client', '-o', 'yaml'],
      ['create', 'service', 'clusterip', 'KTOOL-svc', '--tcp=80:8080', '--tcp=443', '--dry-run=client', '-o', 'yaml'],
      ['create', 'service', 'nodeport', 'np', '--tcp=80:http', '--node-port=30080', '--dry-run=client', '-o', 'json'],
      ['create', 'service', 'loadbalancer', 'lb', '--tcp=443', '--dry-run=client', '-o', 'yaml'],
      ['create', 'service', 'externalname', 'ext', '--external-name=db.example.com', '--dry-run=client', '-o', 'yaml'],
      ['create', 'svc', 'clusterip', 'headless', '--clusterip=None', '--dry-run=client', '-o', 'json'],
      ['create', 'configmap', 'cfg', '--from-literal=mode=1', '--from-literal=empty=', '--from-file=DIR/conf', '--from-file=renamed=DIR/app.env', '--dry-run=client', '-o', 'yaml'],
      ['create', 'cm', 'envcfg', '--from-env-file=DIR/app.env', '--dry-run=client', '-o', 'json'],
      ['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-file=DIR/conf/motd.txt', '--type=example.com/basic', '--dry-run=client', '-o', 'yaml'],
      ['create', 'secret', 'tls', 'cert', '--cert=DIR/tls.crt', '--key=DIR/tls.key', '--dry-run=client', '-o', 'yaml'],
      ['create', 'secret', 'docker-registry', 'pull', '--docker-username=u', '--docker-password=p', '--docker-email=u@example.com', '--dry-run=client', '-o', 'json'],
      ['create', 'job', 'once', '--image=busybox', '--dry-run=client', '-o', 'yaml', '--', 'echo', 'hi'],
      ['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--restart=Never', '--dry-run=client', '-o', 'yaml', '--', 'date'],
      ['create', 'serviceaccount', 'robot', '--dry-run=client', '-o', 'json', '-n', 'shop'],
      ['create', 'role', 'reader', '--verb=get,list,get', '--resource=pods,deployments.apps,pods/log,rs', '--resource-name=a', '--dry-run=client', '-o', 'yaml'],
      ['create', 'clusterrole', 'logs', '--verb=get', '--non-resource-url=/logs/*', '--resource=nodes', '--dry-run=client', '-o', 'yaml'],
      ['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate=true', '--dry-run=client', '-o', 'json'],
      ['create', 'rolebinding', 'rb', '--clusterrole=view', '--user=bob', '--group=devs', '--serviceaccount=shop:robot', '--dry-run=client', '-o', 'yaml'],
      ['create', 'clusterrolebinding', 'crb', '--clusterrole=view', '--user=alice', '--dry-run=client', '-o', 'json'],
      ['create', 'priorityclass', 'high', '--value=1000', '--description=important', '--preemption-policy=Never', '--dry-run=client', '-o', 'yaml'],
      ['create', 'quota', 'q', '--hard=pods=10,cpu=2,memory=1Gi', '--scopes=NotBestEffort', '--dry-run=client', '-o', 'yaml'],
      ['create', 'pdb', 'web', '--selector=app=web', '--min-available=50%', '--dry-run=client', '-o', 'yaml'],
      ['create', 'poddisruptionbudget', 'api', '--selector=app=api', '--max-unavailable=1', '--dry-run=client', '-o', 'json'],
      ['create', 'configmap', 'quoted', '--from-literal=a=true', '--from-literal=b=1.5', '--from-literal=c=null', '--from-literal=d=*', '--dry-run=client', '-o', 'yaml'],
      ['create', 'deployment', 'named', '--image=nginx', '--dry-run=client', '-o', 'name'],
      ['create', 'quota', 'plain', '--hard=pods=1', '--dry-run=client'],
    ]),
  );

  void it(
    'create: objects sent to the server, server dry runs, and what the server refuses',
    { timeout },
    run(
      [
        ['create', 'configmap', 'KTOOL-made', '--from-literal=a=b'],
        ['create', 'configmap', 'KTOOL-made', '--from-literal=a=b'],
        ['create', 'secret', 'generic', 'KTOOL-sec', '--from-literal=a=b', '-o', 'name'],
        ['create', 'service', 'clusterip', 'KTOOL-svc', '--tcp=80', '--dry-run=server'],
        ['create', 'role', 'KTOOL-role', '--verb=get', '--resource=pods'],
        ['create', 'role', 'KTOOL-role', '--verb=get', '--resource=pods'],
        ['create', 'rolebinding', 'KTOOL-rb', '--role=KTOOL-role', '--user=u'],
        ['create', 'clusterrolebinding', 'KTOOL-crb', '--clusterrole=view', '--group=g'],
        ['create', 'job', 'KTOOL-manual', '--from=cronjob/KTOOL-cj'],
        ['create', 'job', 'KTOOL-manual2', '--from=cronjob/KTOOL-cj', '--dry-run=client', '-o', 'yaml'],
        ['create', 'pdb', 'KTOOL-pdb', '--selector=app=x', '--min-available=1'],
        ['create', 'serviceaccount', 'KTOOL-sa'],
        ['create', 'serviceaccount', 'x', '-n', 'nope'],
        ['create', 'namespace', 'KTOOL-ns'],
        ['create', 'namespace', 'Bad_Name'],
        ['create', 'token', 'KTOOL-sa', '--duration=10m'],
        ['create', 'token', 'nope'],
      ],
      { normalise: (s) => identities(s).replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '<token>') },
    ),
  );

  void it(
    'create: command-line mistakes',
    { timeout },
    run([
      ['create', 'configmap'],
      ['create', 'configmap', 'a', 'b'],
      ['create', 'configmap', 'x', '--from-file=DIR/nonexistent'],
      ['create', 'configmap', 'x', '--from-file=k=DIR/conf'],
      ['create', 'configmap', 'x', '--from-literal=novalue'],
      ['create', 'configmap', 'x', '--from-literal=bad/key=1'],
      ['create', 'configmap', 'x', '--from-env-file=DIR/app.env', '--from-literal=a=b'],
      ['create', 'configmap', 'x', '--dry-run=maybe'],
      ['create', 'configmap', 'x', '-o', 'wide'],
      ['create', 'secret', 'generic'],
      ['create', 'secret', 'tls', 'x'],
      ['create', 'secret', 'docker-registry', 'x'],
      ['create', 'service', 'clusterip', 'x'],
      ['create', 'service', 'nodeport', 'x', '--clusterip=None'],
      ['create', 'service', 'clusterip', 'x', '--tcp=abc'],
      ['create', 'service', 'externalname', 'x'],
      ['create', 'cronjob', 'x', '--image=busybox'],
      ['create', 'job', 'x'],
      ['create', 'job', 'x', '--from=cronjob/nope'],
      ['create', 'role', 'r'],
      ['create', 'role', 'r', '--verb=get', '--resource=foos'],
      ['create', 'role', 'r', '--verb=use', '--resource=pods'],
      ['create', 'role', 'r', '--verb=fly', '--resource=pods', '--dry-run=client', '-o', 'name'],
      ['create', 'clusterrole', 'c', '--verb=list', '--non-resource-url=/healthz'],
      ['create', 'clusterrole', 'c', '--verb=get', '--non-resource-url=/a*/b'],
      ['create', 'rolebinding', 'rb', '--role=a', '--clusterrole=b'],
      ['create', 'rolebinding', 'rb', '--clusterrole=view', '--serviceaccount=robot'],
      ['create', 'clusterrolebinding', 'crb'],
      ['create', 'pdb', 'p', '--selector=a=b'],
      ['create', 'pdb', 'p', '--selector=a=b', '--min-available=1x'],
      ['create', 'quota', 'q', '--hard=pods'],
      ['create', 'token', 'KTOOL-sa', '--duration=1.5s'],
      ['create', 'token', 'KTOOL-sa', '--bound-object-kind=Pod'],
      ['create', 'token', 'KTOOL-sa', '--bound-object-kind=Volume', '--bound-object-name=x'],
      ['create', 'deployment', 'x'],
      ['create', 'deployment', 'x', '--image=a', '--image=b', '--', 'sleep', '1'],
    ]),
  );

  void it(
    'run: a pod as a client dry run, sent, and refused',
    { timeout },
    run([
      ['run', 'KTOOL-pod', '--image=nginx', '--port=80', '--env=MODE=prod', '--labels=app=web,tier=front', '--dry-run=client', '-o', 'yaml', '--', 'nginx', '-g', 'daemon off;'],
      ['run', 'job', '--image=busybox', '--restart=Never', '--command', '--image-pull-policy=IfNotPresent', '--annotations=team=a', '--dry-run=client', '-o', 'json', '--', 'sh', '-c', 'date'],
      ['run', 'KTOOL-pod', '--image=nginx'],
      ['run', 'KTOOL-pod', '--image=nginx'],
      ['run', 'KTOOL-pod2', '--image=nginx', '--dry-run=server', '-o', 'name'],
      ['run', 'p'],
      ['run', '--image=nginx'],
      ['run', 'p', '--image=nginx', '--restart=Sometimes'],
      ['run', 'p', '--image=Bad:Image:Ref'],
      ['run', 'p', '--image=nginx', '--env=1BAD=x'],
      ['run', 'p', '--image=nginx', '--labels=novalue'],
    ]),
  );

  void it(
    'set image, env and resources',
    { timeout },
    run(
      [
        ['set', 'image', 'deployment/KTOOL-app', 'nginx=nginx:1.25'],
        ['set', 'image', 'deployment/KTOOL-app', 'nginx=nginx:1.25'],
        ['set', 'image', 'deployment', 'KTOOL-app', 'sidecar=busybox'],
        ['set', 'image', 'deployment/KTOOL-app'],
        ['set', 'image', 'deploy/KTOOL-app', '*=nginx:1.26', '--dry-run=client', '-o', 'name'],
        ['set', 'image', 'pod/KTOOL-pod', 'KTOOL-pod=nginx:2', '--dry-run=server'],
        ['set', 'env', 'deployment/KTOOL-app', 'MODE=prod', 'LEVEL=2'],
        ['set', 'env', 'deployment/KTOOL-app', '--list'],
        ['set', 'env', 'deployment/KTOOL-app', 'COLOR=blue', 'MODE-'],
        ['set', 'env', 'deployment/KTOOL-app', '--list'],
        ['set', 'env', 'deployment/KTOOL-app', '--from=configmap/KTOOL-cfg', '--prefix=APP_'],
        ['set', 'env', 'deployment/KTOOL-app', '--list'],
        ['set', 'env', 'deployment/KTOOL-app', 'COLOR=red', '--overwrite=false'],
        ['set', 'env', 'deployment/KTOOL-app', 'X=1', '-c', 'nope'],
        ['set', 'env', 'deployment/KTOOL-app', '1BAD=x'],
        ['set', 'env', 'deployment/KTOOL-app', 'A=1', 'A-'],
        ['set', 'env', 'deployment/KTOOL-app', 'A=1', 'deployment/other'],
        ['set', 'resources', 'deployment/KTOOL-app', '--limits=cpu=200m,memory=512Mi', '--requests=cpu=100m'],
        ['set', 'resources', 'deployment/KTOOL-app', '-c', 'nginx', '--requests=memory=64Mi', '-o', 'yaml'],
        ['set', 'resources', 'deployment/KTOOL-app'],
        ['set', 'resources', 'deployment/KTOOL-app', '--limits=cpu'],
        ['set', 'image', 'deployment/nope', 'a=b'],
        ['set', 'image', 'cronjob/KTOOL-cj', 'KTOOL-cj=busybox:1.36'],
      ],
      { normalise: identities },
    ),
  );

  void it(
    'patch: strategic, merge and JSON patches, no-change, subresources and errors',
    { timeout },
    run(
      [
        ['patch', 'deployment', 'KTOOL-app', '-p', '{"spec":{"replicas":2}}'],
        ['patch', 'deployment', 'KTOOL-app', '-p', '{"spec":{"replicas":2}}'],
        ['patch', 'deploy/KTOOL-app', '--type=merge', '-p', 'metadata: {labels: {tier: web}}'],
        ['patch', 'deploy', 'KTOOL-app', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]'],
        ['patch', 'deploy', 'KTOOL-app', '--patch-file=DIR/patch.yaml', '-o', 'yaml'],
        ['patch', 'deploy', 'KTOOL-app', '--subresource=scale', '-p', '{"spec":{"replicas":1}}', '-o', 'name'],
        ['patch', 'deploy', 'KTOOL-app', '--type=merge', '-p', '{"spec":{"replicas":7}}', '--dry-run=client', '-o', 'json'],
        ['patch', 'deploy', 'KTOOL-app', '-p', '{"spec":{"replicas":7}}', '--dry-run=server'],
        ['patch', 'deploy', 'KTOOL-app', '--type=foo', '-p', '{}'],
        ['patch', 'deploy', 'KTOOL-app'],
        ['patch', 'deploy', 'KTOOL-app', '-p', 'a: b: c'],
        ['patch', 'deploy', 'KTOOL-app', '--type=json', '-p', '{"a":1}'],
        ['patch', 'deploy', 'KTOOL-app', '--patch-file=DIR/none.yaml'],
        ['patch', 'deploy', 'nope', '-p', '{}'],
        ['patch', 'deploy', 'KTOOL-app', '-p', '{"spec":{"replicas":-1}}'],
        ['patch', 'deploy', 'KTOOL-app', '-p', '{"spec":{"replicas":-1,"selector":null}}'],
        ['patch', 'deploy', 'KTOOL-app', '--type=json', '-p', '[{"op":"remove","path":"/spec/nope"}]'],
        ['patch'],
      ],
      { normalise: identities },
    ),
  );

  void it('edit: $EDITOR changes the file, a change the server refuses reopens it with the reasons on top', { timeout }, async () => {
    // Temp files (and the copy kept after a failed edit) go to the test's own directory.
    const opts = (editor: string): SameOptions => ({ env: { EDITOR: join(dir, editor), TMPDIR: dir }, normalise: identities });
    await same(['edit', 'deployment', 'KTOOL-ed'], opts('scale-to-3.sh'));
    await same(['edit', 'deployment/KTOOL-ed'], { env: { EDITOR: 'true', TMPDIR: dir } });
    await same(['edit', 'deployment', 'KTOOL-ed'], { env: { KUBE_EDITOR: 'false', EDITOR: 'true', TMPDIR: dir } });
    await same(['edit', 'deployment', 'KTOOL-ed'], opts('invalid.sh'));
    await same(['edit', 'deployment', 'KTOOL-ed'], opts('invalid-then-fix.sh'));
    await same(['edit', 'deployment', 'nope'], { env: { EDITOR: 'true' } });
    await same(['edit'], { env: { EDITOR: 'true' } });
  });

  void it(
    'autoscale: an autoscaling/v2 HorizontalPodAutoscaler',
    { timeout },
    run(
      [
        ['autoscale', 'deployment', 'KTOOL-app', '--min=2', '--max=5', '--cpu=80%'],
        ['autoscale', 'deployment', 'KTOOL-app', '--max=5', '--cpu=80%'],
        ['autoscale', 'deployment', 'KTOOL-app', '--max=5'],
        ['autoscale', 'deployment', 'KTOOL-app', '--max=3', '--cpu=500', '--memory=70%', '--name=other', '--dry-run=client', '-o', 'yaml'],
        ['autoscale', 'deployment', 'KTOOL-app', '--max=3', '--cpu-percent=50', '--name=legacy', '--dry-run=client', '-o', 'json'],
        ['autoscale', 'deployment', 'KTOOL-ed', '--max=4', '-o', 'name'],
        ['autoscale', 'deployment', 'KTOOL-ed', '--max=4', '--name=KTOOL-dry', '--dry-run=server'],
        ['autoscale', 'deployment', 'KTOOL-app'],
        ['autoscale', 'deployment', 'KTOOL-app', '--min=5', '--max=3'],
        ['autoscale', 'deployment', 'KTOOL-app', '--max=3', '--cpu=lots'],
        ['autoscale', 'pod', 'KTOOL-pod', '--max=3'],
        ['autoscale', 'deployment', 'nope', '--max=3'],
      ],
      { normalise: identities },
    ),
  );
});
