// Resource quantities ("500m", "128Mi", "1e3"): parsing and comparison for validation and QoS.

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const QUANTITY_RE = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The numeric value of a quantity, or undefined when it does not parse. Numbers are taken as is. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY_RE.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? '']!;
}

/** -1, 0, 1 like resource.Quantity.Cmp (unparsable values compare as 0). */
export function compareQuantity(a: unknown, b: unknown): number {
  const x = parseQuantity(a) ?? 0;
  const y = parseQuantity(b) ?? 0;
  const eps = Math.max(Math.abs(x), Math.abs(y)) * 1e-12;
  if (Math.abs(x - y) <= eps) return 0;
  return x < y ? -1 : 1;
}

/** How a quantity prints in messages (upstream canonicalises; Skiff prints what it was given). */
export function quantityString(q: unknown): string {
  return typeof q === 'number' ? String(q) : String(q ?? '');
}
