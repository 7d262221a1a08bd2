import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accessTable, breakdownRule, combineResourceGroup, compactRules, ruleString } from './auth-rules.ts';
import { whoamiTable } from './auth.ts';

describe('auth can-i --list rules', () => {
  it('breaks rules down to one verb each and merges simple ones per resource', () => {
    const broken = breakdownRule({ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods'], resourceNames: [], nonResourceURLs: [] });
    assert.equal(broken.length, 4);
    const merged = compactRules([...broken, { verbs: ['get'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['/healthz'] }]);
    assert.deepEqual(
      merged.map((r) => ruleString(r)),
      [
        '&PolicyRule{Verbs:[get],APIGroups:[],Resources:[],ResourceNames:[],NonResourceURLs:[/healthz],}',
        '&PolicyRule{Verbs:[get list],APIGroups:[],Resources:[pods],ResourceNames:[],NonResourceURLs:[],}',
        '&PolicyRule{Verbs:[get list],APIGroups:[apps],Resources:[pods],ResourceNames:[],NonResourceURLs:[],}',
      ],
    );
  });

  it('names resources with their group and subresource', () => {
    assert.equal(combineResourceGroup(['deployments/scale'], ['apps']), 'deployments.apps/scale');
    assert.equal(combineResourceGroup(['pods'], ['']), 'pods');
    assert.equal(combineResourceGroup([], ['apps']), '');
  });

  it('sorts rows by the rule text and prints Go slices', () => {
    const text = accessTable(
      {
        resourceRules: [
          { verbs: ['list', 'get'], apiGroups: [''], resources: ['pods'] },
          { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] },
          { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'] },
        ],
        nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/version'] }],
      },
      false,
    );
    assert.equal(
      text,
      [
        'Resources\tNon-Resource URLs\tResource Names\tVerbs',
        'selfsubjectaccessreviews.authorization.k8s.io\t[]\t[]\t[create]',
        '\t[/api]\t[]\t[get]',
        '\t[/version]\t[]\t[get]',
        'configmaps\t[]\t[a]\t[get]',
        'configmaps\t[]\t[b]\t[get]',
        'pods\t[]\t[]\t[list get]',
        '',
      ].join('\n'),
    );
  });

  it('prints whoami attributes in kubectl order', () => {
    const text = whoamiTable({ username: 'alice', uid: 'u1', groups: ['a', 'b'], extra: { z: ['1'], a: ['2', '3'] } });
    assert.equal(text, 'ATTRIBUTE   VALUE\nUsername    alice\nUID         u1\nGroups      [a b]\nExtra: a    [2 3]\nExtra: z    [1]\n');
  });
});
