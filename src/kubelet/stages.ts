// Stages, as kwok has them: a selector on an object's fields, a delay, and what happens next (a status to write, or
// deletion). The simulated node applies whichever stage matches a pod or node; the whole lifecycle is this data.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import {
  compileTemplate,
  evaluate,
  evaluateAll,
  parseExpression,
  parseGoDuration,
  renderTemplate,
  TemplateSyntaxError,
  type EvalContext,
  type Expr,
  type Template,
} from './template.ts';

export type StageResource = 'Pod' | 'Node';
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface StageRequirement {
  /** A path such as .status.phase or .status.conditions[type=Ready].status (see template.ts). */
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

export interface StageDelay {
  /** Base delay in milliseconds (default 0). */
  ms?: number;
  /** An expression giving the base delay in milliseconds instead, e.g. from a probe's initialDelaySeconds. */
  expression?: string;
  /** An annotation holding a Go duration ("2s") that, when present on the object, replaces the base delay. */
  annotation?: string;
  /** Up to this many more milliseconds, chosen at random. */
  jitterMs?: number;
  /** A path to a timestamp the delay must not pass (e.g. .metadata.deletionTimestamp). */
  notAfter?: string;
}

export interface StageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  /** May interpolate {{ expressions }}. */
  message: string;
}

export interface StageNext {
  /** A template of the status to merge in (strategic merge: conditions by type). */
  status?: unknown;
  /** Delete the object (pods: with gracePeriodSeconds 0). */
  delete?: boolean;
  event?: StageEvent;
}

export interface Stage {
  name: string;
  resource: StageResource;
  /** Every requirement must hold; none means every object. */
  selector?: { matchExpressions?: StageRequirement[] };
  /** When several stages match, one is picked at random in proportion to weight (default 1). */
  weight?: number;
  delay?: StageDelay;
  next: StageNext;
}

export class StageError extends Error {
  override name = 'StageError';
}

interface CompiledRequirement {
  path: Expr;
  operator: SelectorOperator;
  values: ReadonlySet<string>;
}

export interface CompiledStage {
  readonly stage: Stage;
  readonly name: string;
  readonly resource: StageResource;
  readonly weight: number;
  readonly requirements: readonly CompiledRequirement[];
  readonly delayExpression?: Expr;
  readonly notAfter?: Expr;
  readonly status?: Template;
  readonly eventMessage?: Template;
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function compileStage(stage: Stage): CompiledStage {
  const where = `stage ${JSON.stringify(stage.name)}`;
  if (!stage.name) throw new StageError('a stage needs a name');
  if (stage.resource !== 'Pod' && stage.resource !== 'Node') throw new StageError(`${where}: resource must be Pod or Node`);
  if (!stage.next || (stage.next.status === undefined && !stage.next.delete && !stage.next.event)) {
    throw new StageError(`${where}: next needs a status, delete or an event`);
  }
  try {
    const requirements = (stage.selector?.matchExpressions ?? []).map((r, i): CompiledRequirement => {
      if (!OPERATORS.includes(r.operator)) throw new StageError(`${where}: matchExpressions[${i}].operator must be one of ${OPERATORS.join(', ')}`);
      if ((r.operator === 'In' || r.operator === 'NotIn') && !r.values?.length) throw new StageError(`${where}: matchExpressions[${i}] needs values`);
      return { path: parseExpression(r.key), operator: r.operator, values: new Set(r.values ?? []) };
    });
    const compiled: { -readonly [K in keyof CompiledStage]: CompiledStage[K] } = {
      stage,
      name: stage.name,
      resource: stage.resource,
      weight: stage.weight ?? 1,
      requirements,
    };
    if (stage.delay?.expression) compiled.delayExpression = parseExpression(stage.delay.expression);
    if (stage.delay?.notAfter) compiled.notAfter = parseExpression(stage.delay.notAfter);
    if (stage.next.status !== undefined) compiled.status = compileTemplate(stage.next.status, `${where}.next.status`);
    if (stage.next.event) compiled.eventMessage = compileTemplate(stage.next.event.message, `${where}.next.event.message`);
    return compiled;
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new StageError(`${where}: ${err.message}`, { cause: err });
    throw err;
  }
}

export function compileStages(stages: readonly Stage[]): CompiledStage[] {
  const seen = new Set<string>();
  return stages.map((s) => {
    if (seen.has(s.name)) throw new StageError(`stage ${JSON.stringify(s.name)} is defined twice`);
    seen.add(s.name);
    return compileStage(s);
  });
}

function requirementHolds(r: CompiledRequirement, obj: unknown, ctx: EvalContext): boolean {
  const values = evaluateAll(r.path, { root: obj, vars: {}, ctx });
  switch (r.operator) {
    case 'Exists':
      return values.length > 0;
    case 'DoesNotExist':
      return values.length === 0;
    case 'In':
      return values.some((v) => r.values.has(String(v)));
    case 'NotIn':
      return !values.some((v) => r.values.has(String(v)));
  }
}

export function stageMatches(stage: CompiledStage, obj: unknown, ctx: EvalContext): boolean {
  return stage.requirements.every((r) => requirementHolds(r, obj, ctx));
}

/** The stage to apply to `obj` next, if any; `random` picks among several by weight. */
export function selectStage(stages: readonly CompiledStage[], obj: unknown, ctx: EvalContext, random: () => number = Math.random): CompiledStage | undefined {
  const matching = stages.filter((s) => stageMatches(s, obj, ctx));
  if (matching.length <= 1) return matching[0];
  const total = matching.reduce((sum, s) => sum + Math.max(0, s.weight), 0);
  if (total <= 0) return matching[0];
  let pick = random() * total;
  for (const s of matching) {
    pick -= Math.max(0, s.weight);
    if (pick < 0) return s;
  }
  return matching[matching.length - 1];
}

/** How long to wait before applying `stage` to `obj`, in milliseconds. */
export function stageDelay(stage: CompiledStage, obj: unknown, ctx: EvalContext, random: () => number = Math.random): number {
  const d = stage.stage.delay ?? {};
  let base = d.ms ?? 0;
  const scope = { root: obj, vars: {}, ctx };
  if (stage.delayExpression) {
    const v = Number(evaluate(stage.delayExpression, scope));
    if (Number.isFinite(v)) base = v;
  }
  if (d.annotation) {
    const text = (obj as { metadata?: { annotations?: Record<string, string> } })?.metadata?.annotations?.[d.annotation];
    const v = text === undefined ? undefined : parseGoDuration(text);
    if (v !== undefined) base = v;
  }
  let delay = Math.max(0, base) + Math.max(0, d.jitterMs ?? 0) * random();
  if (stage.notAfter) {
    const deadline = Date.parse(String(evaluate(stage.notAfter, scope) ?? ''));
    if (Number.isFinite(deadline)) delay = Math.min(delay, Math.max(0, deadline - ctx.now.getTime()));
  }
  return Math.round(delay);
}

export interface StageOutcome {
  /** The status to merge into the object's (absent when the stage only deletes or records an event). */
  status?: Record<string, unknown>;
  delete: boolean;
  event?: StageEvent;
}

interface Condition {
  type?: string;
  status?: string;
  lastTransitionTime?: string | null;
}

/** A condition's lastTransitionTime moves only when its status changes (as every Kubernetes component keeps it). */
export function keepTransitionTimes(next: Record<string, unknown>, current: Record<string, unknown> | undefined): void {
  const conditions = next['conditions'];
  const old = current?.['conditions'];
  if (!Array.isArray(conditions) || !Array.isArray(old)) return;
  for (const c of conditions as Condition[]) {
    const before = (old as Condition[]).find((o) => o?.type === c?.type);
    if (before && before.status === c.status && before.lastTransitionTime) c.lastTransitionTime = before.lastTransitionTime;
  }
}

/** Renders what `stage` does to `obj`. Template functions may throw (e.g. no pod IP yet); the caller retries later. */
export function renderStage(stage: CompiledStage, obj: unknown, ctx: EvalContext): StageOutcome {
  const out: StageOutcome = { delete: stage.stage.next.delete === true };
  const scope = { root: obj, vars: {}, ctx };
  if (stage.status) {
    const status = renderTemplate(stage.status, scope);
    if (typeof status !== 'object' || status === null || Array.isArray(status)) throw new StageError(`stage ${stage.name}: status template must give an object`);
    keepTransitionTimes(status as Record<string, unknown>, (obj as { status?: Record<string, unknown> })?.status);
    out.status = status as Record<string, unknown>;
  }
  const event = stage.stage.next.event;
  if (event && stage.eventMessage) out.event = { type: event.type, reason: event.reason, message: String(renderTemplate(stage.eventMessage, scope) ?? '') };
  return out;
}

/**
 * Stages from a YAML or JSON file: a list of stages, `{ stages: [...] }`, or one stage per YAML document.
 * They replace default stages of the same name and add the rest; `{ name, disabled: true }` removes one.
 */
export async function loadStagesFile(path: string): Promise<Array<Stage & { disabled?: boolean }>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new StageError(`cannot read stages file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const docs = parseAllDocuments(text);
  const out: Array<Stage & { disabled?: boolean }> = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new StageError(`${path}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const list = Array.isArray(value) ? value : Array.isArray((value as { stages?: unknown }).stages) ? (value as { stages: unknown[] }).stages : [value];
    for (const s of list) {
      if (typeof s !== 'object' || s === null || typeof (s as Stage).name !== 'string') throw new StageError(`${path}: every stage needs a name`);
      out.push(s as Stage & { disabled?: boolean });
    }
  }
  return out;
}

export function mergeStages(defaults: readonly Stage[], overrides: ReadonlyArray<Stage & { disabled?: boolean }>): Stage[] {
  const byName = new Map<string, Stage>(defaults.map((s) => [s.name, s]));
  for (const o of overrides) {
    if (o.disabled) {
      byName.delete(o.name);
      continue;
    }
    const { disabled: _d, ...stage } = o;
    byName.set(o.name, stage);
  }
  return [...byName.values()];
}
