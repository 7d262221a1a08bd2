import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLabels, formatLabelSelector, labelSelectorString, listWithMore } from './format.ts';

describe('label formatting', () => {
  it('formatLabels sorts key=value pairs, "<none>" when empty', () => {
    assert.equal(formatLabels({ tier: 'fe', app: 'web' }), 'app=web,tier=fe');
    assert.equal(formatLabels({}), '<none>');
    assert.equal(formatLabels(undefined), '<none>');
  });

  it('label selectors print requirements ordered by key', () => {
    const sel = {
      matchLabels: { b: '2', a: '1' },
      matchExpressions: [
        { key: 'c', operator: 'NotIn', values: ['z', 'y'] },
        { key: 'a', operator: 'Exists' },
      ],
    };
    assert.equal(labelSelectorString(sel), 'a=1,a,b=2,c notin (y,z)');
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }), 'k in (v)');
  });

  it('empty selectors are "" (or "<none>" for display); invalid ones are flagged', () => {
    assert.equal(labelSelectorString({}), '');
    assert.equal(labelSelectorString(undefined), '');
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(labelSelectorString({ matchExpressions: [{ key: 'k', operator: 'Near' }] }), undefined);
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In', values: [] }] }), '<error>');
  });

  it('listWithMore', () => {
    assert.equal(listWithMore(['a', 'b', 'c'], true, 5, 3), 'a,b,c + 2 more...');
    assert.equal(listWithMore([], false, 0, 3), '<unset>');
  });
});
