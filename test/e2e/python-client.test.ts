// The official Python client (Debian's python3-kubernetes) lists, creates and watches against skiff server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot, startSkiffServer, type SkiffServer } from '../support/server.ts';

const run = promisify(execFile);
// Debian's interpreter: the package installs into its dist-packages, not into another python3 on PATH.
const PYTHON = '/usr/bin/python3';

describe('python3-kubernetes against skiff server', { timeout: 180_000 }, () => {
  let server: SkiffServer;
  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite' });
  });
  after(async () => {
    await server?.stop();
  });

  it('lists, creates and watches', async () => {
    assert.ok(existsSync(PYTHON), 'Debian python3 is required (apt-get install python3-kubernetes)');
    const { stdout } = await run(PYTHON, [join(repoRoot, 'test/e2e/fixtures/python_client.py'), server.kubeconfig, 'py-e2e'], { timeout: 120_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    assert.deepEqual(result.namespaces, ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    assert.deepEqual(result.events, [
      ['ADDED', 'py', 'v1'],
      ['MODIFIED', 'py', 'v2'],
      ['DELETED', 'py', 'v2'],
    ]);
    assert.deepEqual(result.deployment, { replicas: 2, strategy: 'RollingUpdate', pullPolicy: 'IfNotPresent' });
    assert.deepEqual(result.deployments, ['pyweb']);
    assert.deepEqual(result.missing, [404, 'NotFound']);
  });
});
