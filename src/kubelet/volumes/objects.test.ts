import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import { eventually } from '../../../test/support/server.ts';
import type { KubeObject } from '../../client/client.ts';
import { ReferencedObjects } from './objects.ts';

describe('ReferencedObjects', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(() => cluster?.stop());

  it('watches an object while referenced, tells of changes, and reads straight from the server otherwise', async () => {
    const { client } = cluster;
    const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data }) as KubeObject;
    await client.create(gvr.configmaps, 'default', cm({ v: '1' }));
    const changes: string[] = [];
    const objects = new ReferencedObjects<ConfigMap>({ client, gvr: gvr.configmaps, kind: 'configmap', onChange: (ns, name) => changes.push(`${ns}/${name}`) });
    try {
      objects.acquire('default', 'watched');
      objects.acquire('default', 'watched');
      objects.acquire('default', 'absent');
      assert.equal(objects.watched, 2);
      assert.equal((await objects.get('default', 'watched')).data?.['v'], '1');
      await assert.rejects(objects.get('default', 'absent'), { name: 'ObjectNotFoundError', message: 'configmap "absent" not found' });
      assert.equal(changes.length, 0, 'the first listing is not a change');

      await client.update(gvr.configmaps, 'default', cm({ v: '2' }));
      await eventually('the change', () => (changes.includes('default/watched') ? true : undefined));
      assert.equal((await objects.get('default', 'watched')).data?.['v'], '2');

      objects.release('default', 'watched');
      assert.equal(objects.watched, 2, 'still referenced once');
      objects.release('default', 'watched');
      objects.release('default', 'absent');
      assert.equal(objects.watched, 0);
      assert.equal((await objects.get('default', 'watched')).data?.['v'], '2');
      await assert.rejects(objects.get('default', 'absent'), { message: 'configmap "absent" not found' });
    } finally {
      objects.stop();
    }
  });
});
