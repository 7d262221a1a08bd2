// ServiceAccount (the defaulting part only): a new pod that names no service account runs as `default`.
// Upstream's plugin also refuses pods whose account does not exist and mounts the token volume; that comes with the
// node agent.
import { isResource, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export class ServiceAccount implements AdmissionPlugin {
  readonly name = 'ServiceAccount';

  handles(operation: Operation): boolean {
    return operation === 'CREATE';
  }

  admit(attrs: Attributes): void {
    if (attrs.subresource || !isResource(attrs, '', 'pods') || !attrs.object) return;
    // Static pods mirrored by a kubelet keep what their manifest says.
    if (attrs.object.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const spec = (attrs.object['spec'] ??= {}) as Record<string, any>;
    if (!spec['serviceAccountName']) spec['serviceAccountName'] = DEFAULT_SERVICE_ACCOUNT;
    // v1 mirrors the deprecated serviceAccount field.
    spec['serviceAccount'] = spec['serviceAccountName'];
  }
}
