// `kubectl scale TYPE NAME --replicas=N`: a merge patch of the scale subresource, after reading the object.
import { FlagError, str } from '../flags.ts';
import { kindString, resourcePath, resourceString } from '../discovery.ts';
import { ApiError, describeError } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';
import { resolveTargets } from './args.ts';

export const scaleCommand: KubectlCommand = {
  flags: [
    { name: 'replicas', type: 'int' },
    { name: 'current-replicas', type: 'int' },
    { name: 'resource-version', type: 'string' },
    { name: 'selector', short: 'l', type: 'string' },
    { name: 'all', type: 'bool' },
  ],
  unsupported: ['filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'timeout', 'output', 'o', 'dry-run', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session, args) {
    const replicasText = str(session.flags, 'replicas');
    if (replicasText === undefined) throw new FlagError('required flag(s) "replicas" not set');
    const replicas = Number(replicasText);
    if (replicas < 0) throw new FlagError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    if (session.flags.has('selector') || session.flags.has('all')) throw new (await import('../flags.ts')).FallbackSignal('selector');
    if (args.length === 0) throw new FlagError('You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   \'-f rsrc.yaml\'\n   \'--filename=rsrc.json\'\n   \'<resource> <name>\'\n   \'<resource>\'');
    const { targets } = await resolveTargets(session, args);
    const rest = session.rest();
    let code = 0;
    for (const t of targets) {
      const ns = t.resource.namespaced ? session.namespace : undefined;
      try {
        const obj = await rest.json<{ spec?: { replicas?: number }; metadata?: { resourceVersion?: string } }>({ path: resourcePath(t.resource, ns, t.name) });
        const current = str(session.flags, 'current-replicas');
        if (current !== undefined && Number(current) !== -1 && (obj.spec?.replicas ?? 0) !== Number(current)) {
          session.io.stderr(`error: Expected replicas to be ${current}, was ${obj.spec?.replicas ?? 0}\n`);
          code = 1;
          continue;
        }
        const patch: Record<string, unknown> = { spec: { replicas } };
        const rv = str(session.flags, 'resource-version');
        if (rv) patch['metadata'] = { resourceVersion: rv };
        await rest.request({ method: 'PATCH', path: resourcePath(t.resource, ns, t.name, 'scale'), contentType: 'application/merge-patch+json', body: patch });
        session.io.stdout(`${kindString(t.resource)}/${t.name} scaled\n`);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404 && err.status.details?.name === undefined && !err.status.message) {
          session.io.stderr(`Error from server (NotFound): ${resourceString(t.resource)} "${t.name}" not found\n`);
        } else session.io.stderr(`${describeError(err)}\n`);
        code = 1;
      }
    }
    return code;
  },
};
