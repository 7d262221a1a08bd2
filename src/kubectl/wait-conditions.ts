// What `kubectl wait --for=…` waits for: create, delete, condition=NAME[=VALUE] or jsonpath={…}[=VALUE], and how
// each is checked against an object (upstream's pkg/cmd/wait: condition.go, json.go).
import { findValues, parseTemplate, relaxedPath } from './printers/jsonpath.ts';

type Fields = Record<string, any>;

export type WaitFor =
  | { kind: 'create' }
  | { kind: 'delete' }
  | { kind: 'condition'; name: string; value: string }
  | { kind: 'jsonpath'; template: string; value: string | undefined };

/** A --for value kubectl refuses; the message is kubectl's. */
export class WaitForError extends Error {
  override name = 'WaitForError';
}

/** kubectl's splitJSONPathInput: split on `=` but not on `==`. */
function splitOnEquals(input: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] === '=') {
      if (input[i + 1] === '=') {
        current += '==';
        i++;
        continue;
      }
      out.push(current);
      current = '';
      continue;
    }
    current += input[i];
  }
  out.push(current);
  return out;
}

export function parseWaitFor(text: string): WaitFor {
  const lower = text.toLowerCase();
  if (lower === 'delete') return { kind: 'delete' };
  if (lower === 'create') return { kind: 'create' };
  if (text.startsWith('condition=')) {
    const rest = text.slice('condition='.length);
    const eq = rest.indexOf('=');
    return eq === -1 ? { kind: 'condition', name: rest, value: 'true' } : { kind: 'condition', name: rest.slice(0, eq), value: rest.slice(eq + 1) };
  }
  if (text.startsWith('jsonpath=')) {
    const parts = splitOnEquals(text.slice('jsonpath='.length));
    if (parts.length < 1 || parts.length > 2) throw new WaitForError("jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'");
    const expression = parts[0]!;
    const template = expression === '' ? '' : relaxedPath(expression);
    let value: string | undefined;
    if (parts.length === 2) {
      value = parts[1]!.replace(/^['"]+|['"]+$/g, '');
      if (value === '') throw new WaitForError("jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3");
    }
    if (template === '') throw new WaitForError('jsonpath expression cannot be empty');
    parseTemplate(template);
    return { kind: 'jsonpath', template, value };
  }
  throw new WaitForError(`unrecognized condition: ${JSON.stringify(text)}`);
}

const fold = (s: string) => s.toLowerCase();

/** Whether the object has condition `name` with status `value` (case-insensitive), observed at its generation. */
export function conditionMet(obj: Fields, name: string, value: string): boolean {
  const conditions = obj['status']?.conditions;
  if (!Array.isArray(conditions)) return false;
  for (const c of conditions) {
    if (!c || typeof c !== 'object' || typeof c.type !== 'string' || fold(c.type) !== fold(name)) continue;
    if (typeof c.status !== 'string') continue;
    const generation = obj['metadata']?.generation;
    if (typeof generation === 'number') {
      const observed = typeof c.observedGeneration === 'number' ? c.observedGeneration : obj['status']?.observedGeneration;
      if (typeof observed === 'number' && observed < generation) return false;
    }
    return fold(c.status) === fold(value);
  }
  return false;
}

/** Whether the object's value at the template matches (or, without a value, exists); throws kubectl's errors. */
export function jsonPathMet(obj: Fields, template: string, value: string | undefined): boolean {
  const actions = parseTemplate(template).filter((n) => n.t !== 'text');
  if (actions.length > 1) throw new WaitForError('given jsonpath expression matches more than one list');
  const values = findValues(template, obj);
  if (values.length === 0) return false;
  if (values.length > 1) throw new WaitForError('given jsonpath expression matches more than one value');
  if (value === undefined) return true;
  const v = values[0];
  if (v !== null && typeof v === 'object') throw new WaitForError('jsonpath leads to a nested object or list which is not supported');
  const text = v === null || v === undefined ? '<nil>' : String(v);
  return text.trim() === value.trim();
}
