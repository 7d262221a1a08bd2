// NamespaceLifecycle: no new objects in a namespace that is absent or being terminated, and the system namespaces
// cannot be deleted.
import { StatusError, errors } from '../status.ts';
import type { AdmissionObjects } from './objects.ts';
import { forbidden, isResource, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

const NAMESPACES = { group: '', resource: 'namespaces' };
/** Namespaces that may never be deleted (upstream's immortal namespaces). */
const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);
/** Reviews answer questions about a namespace; they never create content in it. */
const ACCESS_REVIEWS = new Set(['localsubjectaccessreviews', 'subjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';

  constructor(readonly objects: AdmissionObjects) {}

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'DELETE';
  }

  async admit(attrs: Attributes): Promise<void> {
    const isNamespace = isResource(attrs, NAMESPACES.group, NAMESPACES.resource);
    if (attrs.operation === 'DELETE') {
      if (isNamespace && IMMORTAL.has(attrs.name)) {
        throw errors.forbidden(`namespaces "${attrs.name}" is forbidden: this namespace may not be deleted`, { name: attrs.name, kind: 'namespaces' });
      }
      return;
    }
    if (isNamespace || !attrs.namespace) return;
    if (attrs.resource.group === 'authorization.k8s.io' && ACCESS_REVIEWS.has(attrs.resource.resource)) return;
    // The cache may not have seen a namespace created a moment ago: ask storage then, as upstream does.
    const ns = this.objects.get(NAMESPACES, '', attrs.namespace) ?? (await this.objects.getLive(NAMESPACES, '', attrs.namespace));
    if (!ns) throw errors.notFound('namespaces', '', attrs.namespace);
    if (ns['status']?.phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
      const err = forbidden(attrs, `unable to create new content in namespace ${attrs.namespace} because it is being terminated`);
      throw new StatusError(err.code, err.reason, err.message, {
        ...err.details,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${attrs.namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }
}
