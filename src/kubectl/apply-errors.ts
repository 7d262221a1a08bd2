// How kubectl prints the errors of commands that read -f (apply, create, replace, delete, diff): the source file named in
// server errors ("error when creating \"x.yaml\": …"), Invalid errors as a list of causes, and several errors one a line.
import { ApiError } from './rest.ts';

/** Several errors reported together (utilerrors.Aggregate). */
export class ErrorList extends Error {
  override name = 'ErrorList';
  constructor(readonly errors: Error[]) {
    super(errors.length === 1 ? errors[0]!.message : `[${errors.map((e) => e.message).join(', ')}]`);
  }
}

/** cmdutil.AddSourceToErr: server errors keep their Status with the message extended. */
export function addSource(verb: string, source: string, err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (!source) return e;
  if (e instanceof ApiError) {
    return new ApiError({ ...e.status, message: `error when ${verb} ${JSON.stringify(source)}: ${e.status.message ?? e.message}` }, { cause: e });
  }
  return new Error(`error when ${verb} ${JSON.stringify(source)}: ${e.message}`, { cause: e });
}

/** StandardErrorMessage, or the plain message (messageForError). */
function messageFor(err: Error): string {
  if (err instanceof ApiError) {
    const s = err.status;
    const message = s.message ?? err.message;
    if (s.reason === 'Unauthorized') return `error: You must be logged in to the server (${message})`;
    if (s.reason) return `Error from server (${s.reason}): ${message}`;
    return `Error from server: ${message}`;
  }
  if ((err as { name?: string }).name === 'ConnectionError') return err.message;
  return err.message;
}

/** What kubectl's CheckErr prints for `err` (with the final newline). */
export function errorText(err: Error): string {
  if (err instanceof ErrorList) {
    if (err.errors.length === 1) return errorText(err.errors[0]!);
    return err.errors.map((e) => `${messageFor(e)}\n`).join('');
  }
  if (err instanceof ApiError && err.status.reason === 'Invalid') {
    const s = err.status;
    const details = s.details;
    let text = 'The request is invalid';
    if (!details) return `${text}${s.message ? `: ${s.message}` : ''}\n`;
    const causes = details.causes ?? [];
    if (details.kind || details.name) text = `The ${details.kind ?? ''} ${JSON.stringify(details.name ?? '')} is invalid`;
    else if (s.message && !causes.length) text += `: ${s.message}`;
    if (!causes.length) return `${text}\n`;
    const lines = [...new Set(causes.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`))];
    if (lines.length === 1) return `${text}: ${lines[0]}\n`;
    return `${text}: \n${lines.map((l) => `* ${l}\n`).join('')}`;
  }
  const msg = messageFor(err);
  if (err instanceof ApiError || (err as { name?: string }).name === 'ConnectionError' || msg.startsWith('error: ')) return `${msg}\n`;
  return `error: ${msg}\n`;
}

/** Prints the errors of a run the way kubectl's Run + CheckErr do; returns the exit code (0 when none). */
export function reportErrors(write: (text: string) => void, errors: Error[]): number {
  if (!errors.length) return 0;
  write(errorText(errors.length === 1 ? errors[0]! : new ErrorList(errors)));
  return 1;
}

/** The builder's own errors: one as itself, several as a list. */
export function combined(errors: Error[]): Error[] {
  if (errors.length <= 1) return errors;
  return [new ErrorList(errors)];
}

/** cmdutil.UsageErrorf: the message and where to find help. */
export function usageError(command: string, message: string): Error {
  return new Error(`${message}\nSee 'kubectl ${command} -h' for help and examples`);
}
