// A failed CRI call: the gRPC status code and message the runtime answered with, as a RuntimeError the node agent
// can branch on (NotFound for unknown ids, FailedPrecondition for wrong states, Unavailable when containerd is down).
import { RuntimeError, type RuntimeErrorCode } from '../runtime.ts';

/** gRPC status codes by number (grpc/status codes). */
export const GRPC_CODE_NAMES = [
  'OK',
  'Cancelled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

export type GrpcCodeName = (typeof GRPC_CODE_NAMES)[number];

function runtimeCode(name: GrpcCodeName): RuntimeErrorCode {
  switch (name) {
    case 'NotFound':
    case 'FailedPrecondition':
    case 'InvalidArgument':
    case 'Unavailable':
      return name;
    case 'DeadlineExceeded':
      return 'Unavailable';
    default:
      return 'Unknown';
  }
}

export class CriError extends RuntimeError {
  override name = 'CriError';
  readonly grpcCode: number;
  readonly grpcCodeName: GrpcCodeName;
  constructor(
    readonly method: string,
    grpcCode: number,
    readonly details: string,
    options?: ErrorOptions,
  ) {
    const codeName = GRPC_CODE_NAMES[grpcCode] ?? 'Unknown';
    super(runtimeCode(codeName), `CRI ${method}: ${codeName}: ${details}`, options);
    this.grpcCode = grpcCode;
    this.grpcCodeName = codeName;
  }
}

export const isCriError = (err: unknown, code?: GrpcCodeName): err is CriError =>
  err instanceof CriError && (code === undefined || err.grpcCodeName === code);
