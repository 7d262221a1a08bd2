// /openapi/v2: a document with no definitions, in JSON or in gnostic's protobuf form (what kubectl asks for).
// kubectl falls back to it for client-side validation of kinds OpenAPI v3 does not describe; finding no
// schema there, it skips validation and lets the server answer (e.g. "no matches for kind …").
import { KUBERNETES_VERSION } from './version.ts';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const OPENAPI_V2_PROTOBUF_ALT = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function version(): string {
  const { major, minor, patch } = KUBERNETES_VERSION;
  return `v${major}.${minor}.${patch}`;
}

/** A length-delimited protobuf field (wire type 2). */
function field(num: number, payload: Buffer): Buffer {
  const len: number[] = [];
  let n = payload.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([(num << 3) | 2, ...len]), payload]);
}

/** openapi_v2.Document{swagger: "2.0", info: {title, version}, paths: {}}. */
function protobufDocument(): Buffer {
  const info = Buffer.concat([field(1, Buffer.from('Kubernetes')), field(2, Buffer.from(version()))]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info), field(8, Buffer.alloc(0))]);
}

export function serveOpenAPIv2(accept: string | undefined): { status: number; headers: Record<string, string>; body: Buffer } {
  const wantsProtobuf = (accept ?? '').split(',').some((a) => {
    const t = a.split(';')[0]!.trim();
    return t === OPENAPI_V2_PROTOBUF || t === OPENAPI_V2_PROTOBUF_ALT;
  });
  // Go's mime parser rejects the '@' of the requested type, so upstream answers it as octet-stream.
  if (wantsProtobuf) return { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: protobufDocument() };
  const doc = { swagger: '2.0', info: { title: 'Kubernetes', version: version() }, paths: {} };
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(doc)) };
}
