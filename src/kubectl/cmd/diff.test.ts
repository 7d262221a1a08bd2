import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffFileName, maskSecrets } from './diff.ts';
import type { ResourceInfo } from '../discovery.ts';

const resource = (group: string, kind: string): ResourceInfo => ({ group, version: 'v1', resource: '', kind, singular: '', shortNames: [], namespaced: true, verbs: [], categories: [] });

describe('kubectl diff helpers', () => {
  it('names files group.version.Kind.namespace.name', () => {
    assert.equal(diffFileName({ resource: resource('apps', 'Deployment'), namespace: 'default', name: 'web' }), 'apps.v1.Deployment.default.web');
    assert.equal(diffFileName({ resource: resource('', 'Namespace'), namespace: '', name: 'x' }), 'v1.Namespace..x');
  });

  it('masks Secret data: unchanged ***, changed *** (before) / *** (after), new ***', () => {
    const [from, to] = maskSecrets({ data: { same: 'YQ==', changed: 'Yg==', gone: 'Yw==' } }, { data: { same: 'YQ==', changed: 'ZA==', added: 'ZQ==' } });
    assert.deepEqual(from?.['data'], { same: '***', changed: '*** (before)', gone: '***' });
    assert.deepEqual(to?.['data'], { same: '***', changed: '*** (after)', added: '***' });
    const [none, created] = maskSecrets(undefined, { data: { a: 'YQ==' } });
    assert.equal(none, undefined);
    assert.deepEqual(created?.['data'], { a: '***' });
  });
});
