// DefaultTolerationSeconds: every pod tolerates the not-ready and unreachable NoExecute taints for 300 s unless it
// already says how it tolerates them.
import { isResource, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const DEFAULT_TOLERATION_SECONDS = 300;

type Toleration = Record<string, any>;

function tolerates(tolerations: Toleration[], key: string): boolean {
  return tolerations.some((t) => (!t['key'] || t['key'] === key) && (!t['effect'] || t['effect'] === 'NoExecute'));
}

/** The tolerations with the defaults added (a new array; the input is untouched). */
export function withDefaultTolerations(tolerations: Toleration[], seconds = DEFAULT_TOLERATION_SECONDS): Toleration[] {
  const out = [...tolerations];
  for (const key of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!tolerates(out, key)) out.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  return out;
}

export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = 'DefaultTolerationSeconds';

  constructor(readonly seconds = DEFAULT_TOLERATION_SECONDS) {}

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE';
  }

  admit(attrs: Attributes): void {
    if (!isResource(attrs, '', 'pods') || attrs.subresource || !attrs.object) return;
    const spec = (attrs.object['spec'] ??= {}) as Record<string, any>;
    const current: Toleration[] = Array.isArray(spec['tolerations']) ? spec['tolerations'] : [];
    const next = withDefaultTolerations(current, this.seconds);
    if (next.length !== current.length) spec['tolerations'] = next;
  }
}
