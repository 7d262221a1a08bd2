// The shape of types as server-side apply needs it (upstream's structured-merge-diff schema): an atom is
// a scalar, a list (atomic, or associative: a set, or a map keyed by some fields of its items) or a map
// (a struct's fields and/or any keys, granular or atomic). Atoms come from Skiff's schema (src/api/schema.ts)
// the way kube-openapi converts the built-in OpenAPI, or from a CRD's structural schema.
import { isListRef, isMapRef, jsonFields, META_V1, schemaType, type FieldSchema, type TypeRef } from '../../api/schema.ts';

export type ScalarType = 'numeric' | 'string' | 'boolean' | 'untyped';

export interface StructField {
  readonly type: Atom;
  /** The field's default; used for list-map keys an item leaves out. */
  readonly default?: unknown;
}

export interface ListAtom {
  readonly elem: Atom;
  /** Associative: items are identified by keys (a list-map) or by their value (a set). Otherwise atomic. */
  readonly associative: boolean;
  readonly keys: readonly string[];
}

export interface MapAtom {
  /** Declared fields (a struct); other keys take `elem`, and without `elem` they are not allowed. */
  readonly fields: ReadonlyMap<string, StructField>;
  readonly elem: Atom | undefined;
  readonly atomic: boolean;
}

export interface Atom {
  readonly scalar?: ScalarType;
  readonly list?: ListAtom;
  readonly map?: MapAtom;
}

function lazy<T>(make: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = make();
      done = true;
    }
    return v as T;
  };
}

class LazyList implements ListAtom {
  readonly #elem: () => Atom;
  constructor(elem: () => Atom, readonly associative: boolean, readonly keys: readonly string[]) {
    this.#elem = lazy(elem);
  }
  get elem(): Atom {
    return this.#elem();
  }
}

class LazyMap implements MapAtom {
  readonly #fields: () => ReadonlyMap<string, StructField>;
  readonly #elem: () => Atom | undefined;
  constructor(fields: () => ReadonlyMap<string, StructField>, elem: () => Atom | undefined, readonly atomic: boolean) {
    this.#fields = lazy(fields);
    this.#elem = lazy(elem);
  }
  get fields(): ReadonlyMap<string, StructField> {
    return this.#fields();
  }
  get elem(): Atom | undefined {
    return this.#elem();
  }
}

class LazyField implements StructField {
  readonly #type: () => Atom;
  constructor(type: () => Atom, readonly default_: unknown) {
    this.#type = lazy(type);
  }
  get type(): Atom {
    return this.#type();
  }
  get default(): unknown {
    return this.default_;
  }
}

const NO_FIELDS: ReadonlyMap<string, StructField> = new Map();

/** Any value, compared and replaced whole (upstream's __untyped_atomic_). */
export const untypedAtomic: Atom = {
  scalar: 'untyped',
  list: new LazyList(() => untypedAtomic, false, []),
  map: new LazyMap(() => NO_FIELDS, () => untypedAtomic, true),
};

/** Any value; maps merge key by key, lists are atomic (upstream's __untyped_deduced_). */
export const deduced: Atom = {
  scalar: 'untyped',
  list: new LazyList(() => untypedAtomic, false, []),
  map: new LazyMap(() => NO_FIELDS, () => deduced, false),
};

// ---- Skiff's schema ----

const structCache = new Map<string, Atom>();

/** The atom of a Skiff schema type (fq name, e.g. "io.k8s.api.apps.v1.Deployment"). */
export function atomForType(fq: string): Atom {
  return structAtom(fq, undefined);
}

function structAtom(fq: string, mapType: 'atomic' | 'granular' | undefined): Atom {
  const cacheKey = `${fq}|${mapType ?? ''}`;
  let a = structCache.get(cacheKey);
  if (a) return a;
  const t = schemaType(fq);
  if (!t) throw new Error(`unknown schema type ${fq}`);
  if (t.json) {
    a = deduced; // JSONSchemaPropsOr*: a schema, a bool or a list; keep whatever is there
  } else {
    const atomic = mapType ? mapType === 'atomic' : t.structType === 'atomic';
    a = {
      map: new LazyMap(
        () => {
          const fields = new Map<string, StructField>();
          for (const [name, f] of jsonFields(fq)) fields.set(name, new LazyField(() => atomForRef(f.type, f), f.default));
          return fields;
        },
        () => undefined,
        atomic,
      ),
    };
  }
  structCache.set(cacheKey, a);
  return a;
}

const numeric: Atom = { scalar: 'numeric' };
const string: Atom = { scalar: 'string' };
const boolean: Atom = { scalar: 'boolean' };
const untypedScalar: Atom = { scalar: 'untyped' };

function listRelationship(field: FieldSchema | undefined): { associative: boolean; keys: string[] } {
  if (field?.listType) {
    if (field.listType === 'map') return { associative: true, keys: field.listMapKeys ?? [] };
    return { associative: field.listType === 'set', keys: [] };
  }
  if (field?.patchStrategy === 'merge' || field?.patchStrategy === 'merge,retainKeys') {
    return { associative: true, keys: field.patchMergeKey ? [field.patchMergeKey] : [] };
  }
  return { associative: false, keys: [] };
}

/** The atom of a type reference; `field` carries the list-type / map-type markers of the field holding it. */
export function atomForRef(ref: TypeRef, field?: FieldSchema): Atom {
  if (isListRef(ref)) {
    const { associative, keys } = listRelationship(field);
    return { list: new LazyList(() => atomForRef(ref.list), associative, keys) };
  }
  if (isMapRef(ref)) {
    return { map: new LazyMap(() => NO_FIELDS, () => atomForRef(ref.map), field?.mapType === 'atomic') };
  }
  switch (ref) {
    case 'string':
    case 'bytes':
    case 'duration':
      return string;
    case 'int32':
    case 'int64':
    case 'double':
      return numeric;
    case 'bool':
      return boolean;
    case 'quantity':
    case 'int-or-string':
    case 'time':
    case 'microtime':
      return untypedScalar;
    case 'raw':
      return untypedAtomic;
    case 'fieldsV1':
      return deduced;
    default:
      return structAtom(ref, field?.mapType);
  }
}

// ---- CRD structural schemas (apiextensions JSONSchemaProps) ----

type JSONSchema = Record<string, any>;

/**
 * The atom of a custom resource from its version's openAPIV3Schema, as upstream builds it: apiVersion and
 * kind as strings and metadata as ObjectMeta at the root, x-kubernetes-* markers honoured, and unknown
 * fields kept (deduced) where x-kubernetes-preserve-unknown-fields says so.
 */
export function atomForCustomResource(openAPIV3Schema: JSONSchema | undefined, preserveUnknownFields = false): Atom {
  const root: JSONSchema = { ...(openAPIV3Schema ?? {}), type: 'object' };
  const props: JSONSchema = { ...(root['properties'] ?? {}) };
  props['apiVersion'] = { type: 'string' };
  props['kind'] = { type: 'string' };
  root['properties'] = props;
  const atom = atomForOpenAPI(root, preserveUnknownFields);
  const map = atom.map as MapAtom;
  return {
    map: new LazyMap(
      () => {
        const fields = new Map(map.fields);
        fields.set('metadata', { type: atomForType(`${META_V1}.ObjectMeta`) });
        return fields;
      },
      () => map.elem,
      map.atomic,
    ),
  };
}

function mapTypeOf(s: JSONSchema): boolean {
  return s['x-kubernetes-map-type'] === 'atomic';
}

/** The atom of one structural schema node. */
export function atomForOpenAPI(s: JSONSchema, preserveUnknownFields = false): Atom {
  const preserve = preserveUnknownFields || s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s['x-kubernetes-int-or-string'] === true) return untypedScalar;
  const type: string = typeof s['type'] === 'string' ? s['type'] : '';
  switch (type) {
    case 'object':
      return { map: objectAtom(s, preserve) };
    case 'array':
      return { list: listAtom(s, preserve) };
    case 'integer':
    case 'number':
      return numeric;
    case 'boolean':
      return boolean;
    case 'string':
      return s['format'] === undefined || s['format'] === '' || s['format'] === 'byte' ? string : untypedScalar;
    default:
      return { scalar: 'untyped', list: listAtom(s, preserve), map: objectAtom(s, preserve) };
  }
}

function objectAtom(s: JSONSchema, preserve: boolean): MapAtom {
  const properties: JSONSchema = s['properties'] ?? {};
  const additional = s['additionalProperties'];
  return new LazyMap(
    () => {
      const fields = new Map<string, StructField>();
      for (const [name, p] of Object.entries(properties)) {
        fields.set(name, new LazyField(() => atomForOpenAPI(p as JSONSchema, preserve), (p as JSONSchema)['default']));
      }
      return fields;
    },
    () => {
      if (additional === undefined || additional === null) {
        return preserve || Object.keys(properties).length === 0 ? deduced : undefined;
      }
      if (typeof additional === 'object') return atomForOpenAPI(additional as JSONSchema, preserve);
      return additional === true ? deduced : undefined;
    },
    mapTypeOf(s),
  );
}

function listAtom(s: JSONSchema, preserve: boolean): ListAtom {
  const listType = s['x-kubernetes-list-type'];
  const associative = listType === 'set' || listType === 'map';
  const keys: string[] = listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys']) ? s['x-kubernetes-list-map-keys'] : [];
  const items = s['items'];
  return new LazyList(() => (items && typeof items === 'object' && !Array.isArray(items) ? atomForOpenAPI(items as JSONSchema, preserve) : untypedAtomic), associative, keys);
}
