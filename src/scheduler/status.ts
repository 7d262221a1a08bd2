// The result of every plugin call. "This node doesn't fit" is a Status, never an exception.

export type StatusCode = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip';

export class Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
  readonly error: Error | undefined;
  /** The plugin that returned it; set by the framework on failures. */
  plugin = '';

  constructor(code: StatusCode, reasons: readonly string[] = [], error?: Error) {
    this.code = code;
    this.reasons = reasons;
    this.error = error;
  }

  get message(): string {
    return this.reasons.join(', ');
  }

  isSuccess(): boolean {
    return this.code === 'Success';
  }

  /** Unschedulable or UnschedulableAndUnresolvable. */
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }

  withPlugin(name: string): this {
    if (this.code !== 'Success') this.plugin = name;
    return this;
  }
}

const SUCCESS = new Status('Success');

export function success(): Status {
  return SUCCESS;
}

export function unschedulable(...reasons: string[]): Status {
  return new Status('Unschedulable', reasons);
}

/** Unschedulable in a way that preemption cannot fix. */
export function unresolvable(...reasons: string[]): Status {
  return new Status('UnschedulableAndUnresolvable', reasons);
}

export function skip(): Status {
  return new Status('Skip');
}

export function errorStatus(error: unknown): Status {
  const err = error instanceof Error ? error : new Error(String(error));
  return new Status('Error', [err.message], err);
}
