// Table columns for the admissionregistration.k8s.io API group.
import type { KObject, TableConvertor } from '../types.ts';
import { ageColumn, ageOf, arr, col, convertor, labelSelectorString, nameColumn, nameOf, str } from './format.ts';

function webhookTable(): TableConvertor {
  return convertor(
    [nameColumn(), col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'), ageColumn()],
    (obj, now) => [nameOf(obj), arr(obj.webhooks).length, ageOf(obj, now)],
  );
}

function paramKind(obj: KObject): string {
  const kind = obj.spec?.paramKind;
  return kind && typeof kind === 'object' ? `${str(kind.apiVersion)}/${str(kind.kind)}` : '<unset>';
}

function paramRef(obj: KObject): string {
  const ref = obj.spec?.paramRef;
  if (!ref || typeof ref !== 'object') return '<unset>';
  if (str(ref.name) !== '') return str(ref.namespace) !== '' ? `${ref.namespace}/${ref.name}` : `*/${ref.name}`;
  if (ref.selector && typeof ref.selector === 'object') return labelSelectorString(ref.selector) ?? '';
  return '<unset>';
}

function policyTable(countColumn: string, description: string, rules: (obj: KObject) => unknown): TableConvertor {
  return convertor(
    [
      nameColumn(),
      col(countColumn, 'integer', description),
      col('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
      ageColumn(),
    ],
    (obj, now) => [nameOf(obj), arr(rules(obj)).length, paramKind(obj), ageOf(obj, now)],
  );
}

function bindingTable(): TableConvertor {
  return convertor(
    [
      nameColumn(),
      col('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
      col('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
      ageColumn(),
    ],
    (obj, now) => [nameOf(obj), str(obj.spec?.policyName), paramRef(obj), ageOf(obj, now)],
  );
}

export const tables: Record<string, TableConvertor> = {
  mutatingwebhookconfigurations: webhookTable(),
  validatingwebhookconfigurations: webhookTable(),
  validatingadmissionpolicies: policyTable(
    'Validations',
    'Validations indicates the number of validation rules defined in this configuration',
    (o) => o.spec?.validations,
  ),
  validatingadmissionpolicybindings: bindingTable(),
  mutatingadmissionpolicies: policyTable(
    'Mutations',
    'Mutation indicates the number of mutations rules defined in this configuration',
    (o) => o.spec?.mutations,
  ),
  mutatingadmissionpolicybindings: bindingTable(),
};
