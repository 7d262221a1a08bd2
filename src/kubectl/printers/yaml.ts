// YAML as kubectl writes it (sigs.k8s.io/yaml): sorted keys, sequences flush with their key, YAML 1.1 quoting.
import { stringify } from 'yaml';
import { sortKeys } from './output.ts';

export function toGoYaml(v: unknown): string {
  return stringify(sortKeys(v), { version: '1.1', indentSeq: false, lineWidth: 0, singleQuote: false, aliasDuplicateObjects: false });
}
