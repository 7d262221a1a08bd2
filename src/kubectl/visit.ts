// The objects a command works on, found the way kubectl's resource builder finds them: `TYPE NAME…`, `TYPE/NAME…`,
// or a type with -l/--field-selector/--all (or, where the command allows it, a bare type meaning all of them), each
// read fresh from the server. Errors are collected as the builder's ContinueOnError does, and reported as kubectl's
// CheckErr reports them.
import { resolveTargets } from './cmd/args.ts';
import { resourcePath, type ResourceInfo } from './discovery.ts';
import { ApiError, describeError } from './rest.ts';
import type { Session } from './session.ts';

type Fields = Record<string, any>;

export interface Visited {
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string;
  object: Fields;
}

export interface FindOptions {
  selector?: string | undefined;
  fieldSelector?: string | undefined;
  all?: boolean;
  allNamespaces?: boolean;
  /** A bare type selects every object of it (rollout's ResourceTypeOrNameArgs(true, …)). */
  allowEmptySelector?: boolean;
}

/** A message kubectl prints as is, without the `error: ` prefix CheckErr adds to others. */
export class PlainError extends Error {
  override name = 'PlainError';
}

/** The objects `args` name, and the errors met reading them (not found…). Usage errors throw. */
export async function findObjects(session: Session, args: string[], options: FindOptions = {}): Promise<{ objects: Visited[]; errors: unknown[] }> {
  const { targets, types } = await resolveTargets(session, args);
  const objects: Visited[] = [];
  const errors: unknown[] = [];
  const rest = session.rest();
  if (targets.length > 0) {
    for (const t of targets) {
      const namespace = t.resource.namespaced ? session.namespace : undefined;
      try {
        const object = await rest.json<Fields>({ path: resourcePath(t.resource, namespace, t.name) });
        objects.push({ resource: t.resource, namespace, name: t.name, object });
      } catch (err) {
        errors.push(err);
      }
    }
    return { objects, errors };
  }
  const selecting = options.selector !== undefined || options.fieldSelector !== undefined || options.all === true;
  if (!selecting && !options.allowEmptySelector) throw new Error('resource(s) were provided, but no name was specified');
  for (const resource of types) {
    const namespace = resource.namespaced && !options.allNamespaces ? session.namespace : undefined;
    try {
      const list = await rest.json<{ items?: Fields[] }>({ path: resourcePath(resource, namespace), query: { labelSelector: options.selector, fieldSelector: options.fieldSelector } });
      for (const object of list.items ?? []) {
        objects.push({ resource, namespace: resource.namespaced ? (object['metadata']?.namespace ?? namespace) : undefined, name: object['metadata']?.name ?? '', object });
      }
    } catch (err) {
      errors.push(err);
    }
  }
  return { objects, errors };
}

function messageOf(err: unknown): string {
  return err instanceof PlainError ? err.message : describeError(err);
}

/**
 * kubectl's CheckErr: one error (a reduced aggregate) as `error: …`; several, or any number when `aggregate` (an
 * aggregate kubectl did not reduce), one a line, server errors as `Error from server …` and others as they are.
 * Returns the exit code.
 */
export function reportErrors(session: Session, errors: unknown[], aggregate = false): number {
  if (errors.length === 0) return 0;
  if (errors.length === 1 && !aggregate) session.io.stderr(`${messageOf(errors[0])}\n`);
  else for (const err of errors) session.io.stderr(`${err instanceof ApiError ? describeError(err) : err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/** kubectl's usage error: the message, then where to find help. */
export function usageError(session: Session, command: string, message: string): number {
  session.io.stderr(`error: ${message}\nSee 'kubectl ${command} -h' for help and examples\n`);
  return 1;
}
