// Table columns for the rbac.authorization.k8s.io API group.
import type { KObject, TableConvertor } from '../types.ts';
import { defaultTable } from './default.ts';
import { ageColumn, ageOf, arr, col, convertor, nameColumn, nameOf, str, wide } from './format.ts';

/** Users, groups and service accounts ("namespace/name") among a binding's subjects. */
export function subjectStrings(subjects: unknown): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of arr(subjects)) {
    if (s?.kind === 'ServiceAccount') serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s?.kind === 'User') users.push(str(s.name));
    else if (s?.kind === 'Group') groups.push(str(s.name));
  }
  return { users, groups, serviceAccounts };
}

function bindingTable(what: string): TableConvertor {
  return convertor(
    [
      nameColumn(),
      col('Role', 'string', 'The Role or ClusterRole this binding grants, as Kind/name.'),
      ageColumn(),
      wide('Users', 'string', `Users in the ${what}`),
      wide('Groups', 'string', `Groups in the ${what}`),
      wide('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`),
    ],
    (obj: KObject, now: number) => {
      const { users, groups, serviceAccounts } = subjectStrings(obj.subjects);
      return [
        nameOf(obj),
        `${str(obj.roleRef?.kind)}/${str(obj.roleRef?.name)}`,
        ageOf(obj, now),
        users.join(', '),
        groups.join(', '),
        serviceAccounts.join(', '),
      ];
    },
  );
}

export const tables: Record<string, TableConvertor> = {
  roles: defaultTable,
  clusterroles: defaultTable,
  rolebindings: bindingTable('roleBinding'),
  clusterrolebindings: bindingTable('clusterRoleBinding'),
};
