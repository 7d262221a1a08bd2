// A set of field paths, stored as a tree: at each level the elements that are members themselves, and the
// children with members below them. This is upstream's fieldpath.Set, and FieldsV1 is its JSON form.
// Sets are values: the operations return new sets (sharing unchanged subtrees), so never insert into a set
// after it has been combined with another.
import { comparePE, deserializePE, serializePE, type Path, type PathElement } from './fieldpath.ts';
import { isMap, setOwn } from './value.ts';

interface Child {
  pe: PathElement;
  set: FieldSet;
}

export class FieldsV1Error extends Error {
  override name = 'FieldsV1Error';
}

export class FieldSet {
  readonly #members = new Map<string, PathElement>();
  readonly #children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** A set from one level's members and children (children's sets are shared, not copied). */
  static fromParts(members: Iterable<PathElement>, children: Iterable<{ pe: PathElement; set: FieldSet }>): FieldSet {
    const s = new FieldSet();
    for (const pe of members) s.#members.set(serializePE(pe), pe);
    for (const c of children) if (!c.set.empty) s.#children.set(serializePE(c.pe), { pe: c.pe, set: c.set });
    return s;
  }

  /** Adds a path (a zero-length path adds nothing). */
  insert(path: Path): void {
    if (path.length === 0) return;
    let s = this as FieldSet;
    for (let i = 0; i < path.length - 1; i++) s = s.#descend(path[i] as PathElement);
    const last = path[path.length - 1] as PathElement;
    s.#members.set(serializePE(last), last);
  }

  #descend(pe: PathElement): FieldSet {
    const k = serializePE(pe);
    let c = this.#children.get(k);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.#children.set(k, c);
    }
    return c.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let s = this as FieldSet | undefined;
    for (let i = 0; i < path.length - 1 && s; i++) s = s.#children.get(serializePE(path[i] as PathElement))?.set;
    if (!s) return false;
    return s.#members.has(serializePE(path[path.length - 1] as PathElement));
  }

  hasMember(pe: PathElement): boolean {
    return this.#members.has(serializePE(pe));
  }

  get empty(): boolean {
    if (this.#members.size > 0) return false;
    for (const c of this.#children.values()) if (!c.set.empty) return false;
    return true;
  }

  /** The number of paths in the set. */
  get size(): number {
    let n = this.#members.size;
    for (const c of this.#children.values()) n += c.set.size;
    return n;
  }

  /** The members of this level, in upstream's order. */
  members(): PathElement[] {
    return [...this.#members.values()].sort(comparePE);
  }

  /** The children of this level, in upstream's order. */
  children(): Array<{ pe: PathElement; set: FieldSet }> {
    return [...this.#children.values()].sort((a, b) => comparePE(a.pe, b.pe));
  }

  /** The paths below `pe` (an empty set when there are none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.#children.get(serializePE(pe))?.set ?? new FieldSet();
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.#members) out.#members.set(k, pe);
    for (const [k, pe] of other.#members) out.#members.set(k, pe);
    for (const [k, c] of this.#children) {
      const o = other.#children.get(k);
      out.#children.set(k, o ? { pe: c.pe, set: c.set.union(o.set) } : c);
    }
    for (const [k, c] of other.#children) if (!this.#children.has(k)) out.#children.set(k, c);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.#members) if (other.#members.has(k)) out.#members.set(k, pe);
    for (const [k, c] of this.#children) {
      const o = other.#children.get(k);
      if (!o) continue;
      const r = c.set.intersection(o.set);
      if (!r.empty) out.#children.set(k, { pe: c.pe, set: r });
    }
    return out;
  }

  /** Paths of this set not in `other` (a member of `other` does not remove the paths below it). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.#members) if (!other.#members.has(k)) out.#members.set(k, pe);
    for (const [k, c] of this.#children) {
      const o = other.#children.get(k);
      if (!o) {
        out.#children.set(k, c);
        continue;
      }
      const r = c.set.difference(o.set);
      if (!r.empty) out.#children.set(k, { pe: c.pe, set: r });
    }
    return out;
  }

  /** Like difference, but a member of `other` also removes every path below it. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.#members) if (!other.#members.has(k)) out.#members.set(k, pe);
    for (const [k, c] of this.#children) {
      if (other.#members.has(k)) continue;
      const o = other.#children.get(k);
      if (!o) {
        out.#children.set(k, c);
        continue;
      }
      const r = c.set.recursiveDifference(o.set);
      if (!r.empty) out.#children.set(k, { pe: c.pe, set: r });
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    if (this.#members.size !== other.#members.size) return false;
    for (const k of this.#members.keys()) if (!other.#members.has(k)) return false;
    const mine = [...this.#children].filter(([, c]) => !c.set.empty);
    const theirs = [...other.#children].filter(([, c]) => !c.set.empty);
    if (mine.length !== theirs.length) return false;
    return mine.every(([k, c]) => {
      const o = other.#children.get(k);
      return o !== undefined && c.set.equals(o.set);
    });
  }

  /** Every path, in upstream's iteration order: a level's members, then each child's paths. */
  paths(): Path[] {
    const out: Path[] = [];
    this.#collect([], out);
    return out;
  }

  #collect(prefix: PathElement[], out: Path[]): void {
    for (const pe of this.members()) out.push([...prefix, pe]);
    for (const c of this.children()) c.set.#collect([...prefix, c.pe], out);
  }

  /** The FieldsV1 JSON object upstream stores in managedFields, with its key order. */
  toFieldsV1(): Record<string, unknown> {
    return this.#emit(false);
  }

  #emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const members = this.members();
    const children = this.children().filter((c) => !c.set.empty);
    if (includeSelf && (members.length > 0 || children.length > 0)) out['.'] = {};
    let mi = 0;
    let ci = 0;
    while (mi < members.length || ci < children.length) {
      const m = members[mi];
      const c = children[ci];
      const order = m === undefined ? 1 : c === undefined ? -1 : comparePE(m, c.pe);
      if (order < 0) {
        setOwn(out, serializePE(m as PathElement), {});
        mi++;
      } else if (order > 0) {
        setOwn(out, serializePE((c as Child).pe), (c as Child).set.#emit(false));
        ci++;
      } else {
        setOwn(out, serializePE((c as Child).pe), (c as Child).set.#emit(true));
        mi++;
        ci++;
      }
    }
    return out;
  }

  /** Parses a FieldsV1 object (or its JSON text). Unknown element types are skipped, as upstream does. */
  static fromFieldsV1(json: unknown): FieldSet {
    let obj = json;
    if (typeof json === 'string') {
      try {
        obj = JSON.parse(json);
      } catch (err) {
        throw new FieldsV1Error('invalid FieldsV1 JSON', { cause: err });
      }
    }
    if (obj === null || obj === undefined) return new FieldSet();
    if (!isMap(obj)) throw new FieldsV1Error('FieldsV1 must be a JSON object');
    return FieldSet.#read(obj).set ?? new FieldSet();
  }

  static #read(obj: Record<string, unknown>): { set: FieldSet | undefined; isMember: boolean } {
    let set: FieldSet | undefined;
    let isMember = false;
    for (const [key, v] of Object.entries(obj)) {
      if (key === '.') {
        isMember = true;
        continue;
      }
      let pe: PathElement | undefined;
      try {
        pe = deserializePE(key);
      } catch (err) {
        throw new FieldsV1Error(`parsing key as path element: ${(err as Error).message}`, { cause: err });
      }
      if (!pe) continue;
      if (!isMap(v)) throw new FieldsV1Error(`value of ${JSON.stringify(key)} must be an object`);
      const child = FieldSet.#read(v);
      set ??= new FieldSet();
      const k = serializePE(pe);
      if (child.isMember) set.#members.set(k, pe);
      if (child.set) {
        const existing = set.#children.get(k);
        set.#children.set(k, { pe, set: existing ? existing.set.union(child.set) : child.set });
      }
    }
    if (!set) isMember = true;
    return { set, isMember };
  }
}

/** The FieldsV1 JSON object of a field set. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  return set.toFieldsV1();
}

/** The field set of a FieldsV1 JSON object (or its text). */
export function fromFieldsV1(json: unknown): FieldSet {
  return FieldSet.fromFieldsV1(json);
}
