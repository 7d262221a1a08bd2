// How Skiff's kubectl starts: bin/skiff runs dist/kubectl.cjs for `skiff kubectl …` and for a link named kubectl,
// which loads the one-file bundle with V8's code cache (src/cli/kubectl-start.ts, code-cache.ts). Both ways print
// what kubectl 1.35 prints; a run leaves a code cache for the bundle it ran; SKIFF_KUBECTL=real still reaches the
// real kubectl through the link.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubeCacheDir } from '../support/kubectl.ts';
import { cleanEnv, normalise, realKubectl, runProcess, skiffCommand } from '../support/kubectl-sidebyside.ts';
import { repoRoot } from '../support/server.ts';

describe('starting skiff kubectl', { timeout: 5 * 60_000 }, () => {
  let cluster: TestCluster;
  let links: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    cluster = await startTestCluster();
    for (const name of ['web-0', 'web-1']) {
      await cluster.client.create(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    }
    skiffCommand(); // builds dist/ first when a source is newer
    links = mkdtempSync(join(tmpdir(), 'skiff-kubectl-link-'));
    symlinkSync(join(repoRoot, 'bin', 'skiff'), join(links, 'kubectl'));
    env = cleanEnv(cluster.kubeconfig, dirname(kubeCacheDir(cluster.kubeconfig)), { KUBECONFIG: cluster.kubeconfig, SKIFF_KUBECTL: 'own' });
  });
  after(async () => {
    await cluster?.stop();
    if (links) rmSync(links, { recursive: true, force: true });
  });

  const viaSkiff = (args: string[], extra: Record<string, string> = {}) => runProcess(join(repoRoot, 'bin', 'skiff'), ['kubectl', ...args], { ...env, ...extra });
  const viaLink = (args: string[], extra: Record<string, string> = {}) => runProcess(join(links, 'kubectl'), args, { ...env, ...extra });

  for (const [what, args] of [
    ['a table', ['get', 'pods']],
    ['a missing object, exit 1', ['get', 'pod', 'nope']],
    ['a usage error', ['get']],
    ['the client version', ['version', '--client']],
  ] as const) {
    void it(`prints what kubectl 1.35 prints for ${what}, as skiff kubectl and through a link named kubectl`, async () => {
      const real = await realKubectl([...args], cluster.kubeconfig, { envOnly: true });
      for (const [how, run] of [['skiff kubectl', viaSkiff], ['the link', viaLink]] as const) {
        const got = await run([...args]);
        assert.equal(normalise(got.stdout), normalise(real.stdout), `${how} ${args.join(' ')}: stdout`);
        assert.equal(normalise(got.stderr), normalise(real.stderr), `${how} ${args.join(' ')}: stderr`);
        assert.equal(got.code, real.code, `${how} ${args.join(' ')}: exit code`);
      }
    });
  }

  void it('leaves a code cache for the bundle it ran, named for that build', async () => {
    const bundle = join(repoRoot, 'dist', 'kubectl-bundle.cjs');
    const { size, mtimeMs } = statSync(bundle);
    const own = `kubectl-bundle.cjs.${size}-${Math.trunc(mtimeMs)}.cache`;
    const r = await viaLink(['get', 'pods', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pod/web-0\npod/web-1\n');
    assert.ok(readdirSync(join(repoRoot, 'dist')).includes(own), `dist/${own} after a run`);
  });

  void it('runs the real kubectl through the link with SKIFF_KUBECTL=real', async () => {
    // `alpha` is a verb only the real kubectl has: Skiff's would leave it to the real one (an error under =own).
    const own = await viaLink(['alpha', '--help']);
    assert.equal(own.code, 2);
    assert.match(own.stderr, /leaves `kubectl alpha --help` to the real kubectl/);
    const real = await viaLink(['alpha', '--help'], { SKIFF_KUBECTL: 'real' });
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /These commands correspond to alpha features/);
  });
});
