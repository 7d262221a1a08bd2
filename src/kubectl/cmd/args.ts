// `TYPE NAME…` and `TYPE/NAME…` arguments, resolved through discovery, as kubectl's resource builder reads them.
import { FlagError } from '../flags.ts';
import type { ResourceInfo } from '../discovery.ts';
import type { Session } from '../session.ts';

export interface Target {
  resource: ResourceInfo;
  name: string;
}

/** Types and names; `names` may be empty when the command selects by label or --all. */
export async function resolveTargets(session: Session, args: string[]): Promise<{ targets: Target[]; types: ResourceInfo[] }> {
  const discovery = session.discovery();
  if (args.some((a) => a.includes('/'))) {
    const targets: Target[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash === -1) {
        throw new FlagError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'`,
        );
      }
      targets.push({ resource: await discovery.resolve(a.slice(0, slash)), name: a.slice(slash + 1) });
    }
    return { targets, types: [...new Set(targets.map((t) => t.resource))] };
  }
  const [typeArg, ...names] = args;
  const types: ResourceInfo[] = [];
  for (const t of (typeArg ?? '').split(',').filter((x) => x)) types.push(await discovery.resolve(t));
  return { targets: types.flatMap((resource) => names.map((name) => ({ resource, name }))), types };
}
