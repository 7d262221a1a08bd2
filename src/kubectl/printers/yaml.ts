// YAML as kubectl writes it (sigs.k8s.io/yaml over go-yaml v2): see goyaml.ts.
import { goYaml } from './goyaml.ts';

export function toGoYaml(v: unknown): string {
  return goYaml(v);
}
