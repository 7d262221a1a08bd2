// The admission chain: mutating plugins in order, then validating plugins in order; the first error ends the write.
import type { Admission, AdmissionPlugin, Attributes, Operation } from './types.ts';

export class AdmissionChain implements Admission {
  readonly #mutating: AdmissionPlugin[];
  readonly #validating: AdmissionPlugin[];

  constructor(readonly plugins: AdmissionPlugin[]) {
    this.#mutating = plugins.filter((p) => p.admit);
    this.#validating = plugins.filter((p) => p.validate);
  }

  async admit(attrs: Attributes): Promise<void> {
    for (const p of this.#mutating) if (p.handles(attrs.operation)) await p.admit!(attrs);
  }

  async validate(attrs: Attributes): Promise<void> {
    for (const p of this.#validating) if (p.handles(attrs.operation)) await p.validate!(attrs);
  }

  handles(operation: Operation): boolean {
    return this.plugins.some((p) => p.handles(operation));
  }
}
