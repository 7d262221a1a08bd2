import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultAdminKubeconfig, kubeconfigEnv } from './kubectl.ts';

describe('skiff kubectl', () => {
  it("defaults to skiff up's admin.conf in the user's data dir", () => {
    assert.equal(defaultAdminKubeconfig(true, '/root'), '/var/lib/skiff/admin.conf');
    assert.equal(defaultAdminKubeconfig(false, '/home/ann'), '/home/ann/.skiff/admin.conf');
  });

  it('sets KUBECONFIG only when the caller chose none and the admin.conf exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
    try {
      const conf = join(dir, 'admin.conf');
      assert.equal(kubeconfigEnv(['get', 'pods'], {}, conf)['KUBECONFIG'], undefined, 'no admin.conf yet');
      writeFileSync(conf, 'apiVersion: v1\n');
      assert.equal(kubeconfigEnv(['get', 'pods'], {}, conf)['KUBECONFIG'], conf);
      assert.equal(kubeconfigEnv(['get', 'pods'], { KUBECONFIG: '/mine' }, conf)['KUBECONFIG'], '/mine');
      assert.equal(kubeconfigEnv(['--kubeconfig', '/other', 'get', 'pods'], {}, conf)['KUBECONFIG'], undefined);
      assert.equal(kubeconfigEnv(['--kubeconfig=/other', 'get', 'pods'], {}, conf)['KUBECONFIG'], undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
