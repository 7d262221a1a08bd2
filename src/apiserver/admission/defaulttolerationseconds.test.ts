import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultTolerationSeconds } from './defaulttolerationseconds.ts';
import { attrs, pod } from './testutil.ts';

describe('DefaultTolerationSeconds admission', () => {
  it('adds not-ready and unreachable NoExecute tolerations for 300 s', () => {
    const p = pod('p', [{ name: 'c' }], { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    new DefaultTolerationSeconds().admit(attrs('pods', 'CREATE', p));
    assert.deepEqual(p['spec'].tolerations, [
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it('leaves a taint the pod already tolerates alone (its own seconds, or an empty key or effect)', () => {
    const own = pod('p', [{ name: 'c' }], { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] });
    new DefaultTolerationSeconds().admit(attrs('pods', 'CREATE', own));
    assert.deepEqual(
      own['spec'].tolerations.map((t: Record<string, unknown>) => [t['key'], t['tolerationSeconds']]),
      [['node.kubernetes.io/unreachable', 5], ['node.kubernetes.io/not-ready', 300]],
    );
    const everything = pod('p', [{ name: 'c' }], { tolerations: [{ operator: 'Exists' }] });
    new DefaultTolerationSeconds().admit(attrs('pods', 'CREATE', everything));
    assert.deepEqual(everything['spec'].tolerations, [{ operator: 'Exists' }]);
    const noSchedule = pod('p', [{ name: 'c' }], { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }] });
    new DefaultTolerationSeconds().admit(attrs('pods', 'CREATE', noSchedule));
    assert.equal(noSchedule['spec'].tolerations.length, 3);
  });

  it('ignores other resources and subresources', () => {
    const p = pod('p', [{ name: 'c' }]);
    new DefaultTolerationSeconds().admit(attrs('pods', 'UPDATE', p, { subresource: 'status' }));
    new DefaultTolerationSeconds().admit(attrs('podtemplates', 'CREATE', p));
    assert.equal(p['spec'].tolerations, undefined);
  });
});
