// Helpers the CRD validation files share: field paths as upstream prints them, JSON accessors, the
// options that depend on what the stored CRD already had, and a walk over every nested schema.
import type { FieldError } from '../api/types.ts';
import { fieldError } from '../api/validation.ts';
import { isObj, type JSONSchemaProps, type Obj } from './jsonschema.ts';

export interface Options {
  allowDefaults: boolean;
  requireRecognizedConversionReviewVersion: boolean;
  requireImmutableNames: boolean;
  requireOpenAPISchema: boolean;
  requireValidPropertyType: boolean;
  requireStructuralSchema: boolean;
  requirePrunedDefaults: boolean;
  requireAtomicSetType: boolean;
  requireMapListKeysMapSetValidation: boolean;
}

export const CREATE_OPTIONS: Options = {
  allowDefaults: true,
  requireRecognizedConversionReviewVersion: true,
  requireImmutableNames: false,
  requireOpenAPISchema: true,
  requireValidPropertyType: true,
  requireStructuralSchema: true,
  requirePrunedDefaults: true,
  requireAtomicSetType: true,
  requireMapListKeysMapSetValidation: true,
};

export const obj = (v: unknown): Obj => (isObj(v) ? v : {});
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const list = <T = Obj>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const child = (path: string, name: string): string => `${path}.${name}`;
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;

/** An enum field in upstream's shape: Required when empty, NotSupported when unknown. */
export function enumString(path: string, value: string, accepted: string[]): FieldError[] {
  if (value === '') return [fieldError.required(path)];
  return accepted.includes(value) ? [] : [fieldError.notSupported(path, value, accepted)];
}

/** field.Invalid with a bad value whose JSON is given verbatim. */
export function invalidJSON(field: string, json: string, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', field, message: `${field}: Invalid value: ${json}: ${detail}` };
}

/** SchemaHas: the predicate holds for the schema or any schema nested in it. */
export function schemaHas(s: JSONSchemaProps | undefined, pred: (s: JSONSchemaProps) => boolean): boolean {
  if (!isObj(s)) return false;
  if (pred(s)) return true;
  const nested: unknown[] = [];
  if (Array.isArray(s.items)) nested.push(...s.items);
  else nested.push(s.items);
  nested.push(...list(s.allOf), ...list(s.anyOf), ...list(s.oneOf), s.not);
  nested.push(...Object.values(obj(s.properties)), ...Object.values(obj(s.patternProperties)), ...Object.values(obj(s.definitions)));
  if (isObj(s.additionalProperties)) nested.push(s.additionalProperties);
  if (isObj(s.additionalItems)) nested.push(s.additionalItems);
  for (const d of Object.values(obj(s.dependencies))) if (isObj(d)) nested.push(d);
  return nested.some((n) => isObj(n) && schemaHas(n, pred));
}
