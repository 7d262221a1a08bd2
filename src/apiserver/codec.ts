// Request body decoding and response media-type negotiation.
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { decodeKubernetesProtobuf, ProtobufDecodeError } from './protobuf.ts';
import { StatusError, errors } from './status.ts';
import type { KObject } from '../api/types.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decode an object body (create/update) from JSON, YAML or Kubernetes protobuf. */
export function decodeObject(body: Buffer, contentType: string | undefined): { obj: KObject; format: BodyFormat } {
  const mt = mediaTypeOf(contentType);
  if (body.length === 0) throw errors.badRequest('the body of the request was empty');
  if (mt === 'application/json' || mt === '' || mt === '*/*') return { obj: parseJsonObject(body), format: 'json' };
  if (mt === 'application/yaml' || mt === 'application/x-yaml' || mt === 'text/yaml') return { obj: parseYamlObject(body), format: 'yaml' };
  if (mt === 'application/vnd.kubernetes.protobuf') {
    try {
      return { obj: decodeKubernetesProtobuf(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)).object, format: 'protobuf' };
    } catch (err) {
      if (err instanceof ProtobufDecodeError) throw new StatusError(400, 'BadRequest', `the body of the request could not be decoded as protobuf: ${err.message}`, undefined, { cause: err });
      throw err;
    }
  }
  throw errors.unsupportedMediaType(mt);
}

export function parseJsonObject(body: Buffer | string): KObject {
  let v: unknown;
  try {
    v = JSON.parse(body.toString());
  } catch (err) {
    throw new StatusError(400, 'BadRequest', `couldn't get version/kind; json parse error: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  return v as KObject;
}

export function parseYamlObject(body: Buffer | string): KObject {
  const text = body.toString();
  let v: unknown;
  try {
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    const first = list[0];
    if (!first) throw new Error('empty document');
    if (first.errors.length) throw first.errors[0]!;
    v = first.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new StatusError(400, 'BadRequest', `error converting YAML to JSON: yaml: ${(err as Error).message.split('\n')[0]}`, undefined, { cause: err });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw errors.badRequest('error converting YAML to JSON: the body is not a YAML object');
  return v as KObject;
}

/** YAML or JSON (JSON is YAML): for apply patches. */
export function parseYamlOrJson(body: Buffer): KObject {
  const t = body.toString().trimStart();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t) as KObject;
    } catch {
      // fall through to YAML, which also reports the error well
    }
  }
  return parseYamlObject(t);
}

export { parseYaml };

export interface Negotiated {
  /** json or yaml: the serialization. */
  format: 'json' | 'yaml';
  /** What the client asked the body to be: the object, a Table, or partial metadata. */
  as: 'object' | 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';
  /** The apiVersion for Table/PartialObjectMetadata: meta.k8s.io/v1 or v1beta1. */
  metaVersion: string;
}

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [{ type: '*/*', params: {} }];
  return accept.split(',').map((part) => {
    const [type, ...params] = part.split(';');
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    return { type: type!.trim().toLowerCase(), params: p };
  });
}

const NOT_ACCEPTABLE = 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf';

/** Pick the response form for an object or list endpoint. */
export function negotiate(accept: string | undefined, allowTable: boolean): Negotiated {
  for (const r of parseAccept(accept)) {
    const isJson = r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*';
    const isYaml = r.type === 'application/yaml';
    if (!isJson && !isYaml) continue; // protobuf and CBOR responses are not offered; JSON usually follows
    const as = r.params['as'];
    if (!as) return { format: isYaml ? 'yaml' : 'json', as: 'object', metaVersion: 'v1' };
    if (r.params['g'] !== 'meta.k8s.io') continue;
    const v = r.params['v'] ?? '';
    if (v !== 'v1' && v !== 'v1beta1') continue;
    if (as === 'Table' && allowTable) return { format: isYaml ? 'yaml' : 'json', as: 'Table', metaVersion: v };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { format: isYaml ? 'yaml' : 'json', as, metaVersion: v };
  }
  throw errors.notAcceptable(NOT_ACCEPTABLE);
}
