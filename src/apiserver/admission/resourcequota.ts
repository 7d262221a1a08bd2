// ResourceQuota admission: a write that would take a namespace past a quota's hard limits is refused; one that fits
// is charged to the quotas' status.used before it lands (conflict-safe), as upstream's quota evaluator does.
import type { KObject } from '../../api/types.ts';
import { StatusError } from '../status.ts';
import type { AdmissionObjects } from './objects.ts';
import { EvaluatorRegistry, quotaMatches, type Evaluator } from './quota.ts';
import { add, equals, lessThanOrEqual, mask, negativeNames, prettyPrint, removeZeros, resourceList, resourceListToJson, subtractNonNegative, type ResourceList } from './resources.ts';
import { forbidden, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

const RESOURCE_QUOTAS = { group: '', resource: 'resourcequotas' };
/** Tries at charging quotas whose status someone else changed meanwhile (upstream's 3 retries). */
const MAX_RETRIES = 3;

const hardOf = (q: KObject): ResourceList => resourceList(q['status']?.hard);
const usedOf = (q: KObject): ResourceList => resourceList(q['status']?.used);

/**
 * The quotas after charging the request to those that cover it (same order; unchanged ones are the same objects).
 * Throws upstream's Forbidden errors when the request does not fit or a quota's usage is not known yet.
 */
export function chargeRequest(quotas: KObject[], attrs: Attributes, e: Evaluator, now = Date.now()): KObject[] {
  const obj = attrs.object;
  if (!obj || !e.handles(attrs)) return quotas;
  const interesting: number[] = [];
  quotas.forEach((q, i) => {
    if (!quotaMatches(q, obj, e)) return;
    const hard = hardOf(q);
    const restricted = e.matchingResources([...hard.keys()]);
    const problem = e.constraints(restricted, obj);
    if (problem) throw forbidden(attrs, `failed quota: ${q.metadata?.name}: ${problem}`);
    const used = usedOf(q);
    if (restricted.some((r) => hard.has(r) && !used.has(r))) {
      throw forbidden(attrs, `status unknown for quota: ${q.metadata?.name}, resources: ${[...restricted].sort().join(',')}`);
    }
    interesting.push(i);
  });
  const input = e.usage(obj, now);
  const negative = negativeNames(input);
  if (negative.length) throw forbidden(attrs, `quota usage is negative for resource(s): ${negative.sort().join(',')}`);

  const deltas = new Map<number, ResourceList>(interesting.map((i) => [i, input]));
  if (attrs.operation === 'UPDATE') {
    const prev = attrs.oldObject;
    if (!prev) throw forbidden(attrs, 'unable to get previous usage since prior version of object was not found');
    if (prev.metadata?.resourceVersion) {
      const delta = subtractNonNegative(input, e.usage(prev, now));
      for (const i of interesting) if (quotaMatches(quotas[i]!, prev, e)) deltas.set(i, delta);
    }
  }
  for (const [i, d] of deltas) {
    const nonZero = removeZeros(d);
    if (nonZero.size) deltas.set(i, nonZero);
    else deltas.delete(i);
  }
  if (!deltas.size) return quotas;

  const out = [...quotas];
  for (const i of interesting) {
    const delta = deltas.get(i);
    if (!delta) continue;
    const q = quotas[i]!;
    const hard = hardOf(q);
    const used = usedOf(q);
    const requested = mask(delta, hard.keys());
    const next = add(used, requested);
    if (attrs.subresource !== 'status') {
      const { ok, exceeded } = lessThanOrEqual(mask(next, requested.keys()), hard);
      if (!ok) {
        throw forbidden(
          attrs,
          `exceeded quota: ${q.metadata?.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
        );
      }
    }
    out[i] = { ...q, status: { ...(q['status'] ?? {}), used: resourceListToJson(next) } };
  }
  return out;
}

export class ResourceQuotaAdmission implements AdmissionPlugin {
  readonly name = 'ResourceQuota';
  readonly registry = new EvaluatorRegistry();
  /** Per namespace, the tail of the requests waiting their turn: charges in one namespace happen one at a time. */
  readonly #turns = new Map<string, Promise<void>>();
  /** Quotas this server charged, newer than the watch cache may be yet (upstream's updatedQuotas cache). */
  readonly #written = new Map<string, KObject>();

  constructor(
    readonly objects: AdmissionObjects,
    readonly now: () => number = Date.now,
  ) {}

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE';
  }

  async validate(attrs: Attributes): Promise<void> {
    if (!attrs.namespace || !attrs.object) return;
    const e = this.registry.get(attrs.resource);
    if (!e || !e.handles(attrs)) return;
    if (!this.objects.list(RESOURCE_QUOTAS, attrs.namespace).length) return;
    await this.#inTurn(attrs.namespace, () => this.#charge(attrs, e));
  }

  /** The namespace's quotas: the cache's, or what this server last wrote where that is newer. */
  quotas(namespace: string): KObject[] {
    return this.objects.list(RESOURCE_QUOTAS, namespace).map((q) => {
      const key = `${namespace}/${q.metadata?.name}`;
      const mine = this.#written.get(key);
      if (!mine) return q;
      if (Number(q.metadata?.resourceVersion ?? 0) >= Number(mine.metadata?.resourceVersion ?? 0)) {
        this.#written.delete(key);
        return q;
      }
      return mine;
    });
  }

  async #charge(attrs: Attributes, e: Evaluator): Promise<void> {
    let quotas = this.quotas(attrs.namespace);
    for (let attempt = 0; ; attempt++) {
      const charged = chargeRequest(quotas, attrs, e, this.now());
      if (attrs.dryRun) return;
      const failed: string[] = [];
      let lastErr: unknown;
      for (let i = 0; i < quotas.length; i++) {
        const before = quotas[i]!;
        const after = charged[i]!;
        if (after === before || equals(usedOf(before), usedOf(after))) continue;
        try {
          const written = await this.objects.updateStatus(RESOURCE_QUOTAS, after);
          this.#written.set(`${attrs.namespace}/${written.metadata?.name}`, written);
        } catch (err) {
          if (!(err instanceof StatusError && (err.code === 409 || err.code === 404))) throw err;
          failed.push(before.metadata!.name!);
          lastErr = err;
        }
      }
      if (!failed.length) return;
      if (attempt + 1 >= MAX_RETRIES) throw lastErr;
      // Someone else changed those quotas (the controller, another server): check the request against them again.
      const fresh = await this.objects.listLive(RESOURCE_QUOTAS, attrs.namespace);
      quotas = fresh.filter((q) => failed.includes(q.metadata?.name ?? ''));
      if (!quotas.length) return;
    }
  }

  async #inTurn(namespace: string, fn: () => Promise<void>): Promise<void> {
    const before = this.#turns.get(namespace) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    this.#turns.set(namespace, tail);
    await before;
    try {
      await fn();
    } finally {
      done();
      if (this.#turns.get(namespace) === tail) this.#turns.delete(namespace);
    }
  }
}
