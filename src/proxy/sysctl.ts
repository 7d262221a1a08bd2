// The kernel settings the proxy reads or sets, through `sysctl` (inside the proxy's network namespace when it has one).
import { HostCommands } from './host.ts';

export interface Sysctl {
  /** The value, or undefined when the setting does not exist here. */
  get(name: string): Promise<number | undefined>;
  set(name: string, value: number): Promise<void>;
}

export class SysctlError extends Error {
  override name = 'SysctlError';
}

export class ExecSysctl implements Sysctl {
  readonly #host: HostCommands;

  constructor(netns?: string | undefined) {
    this.#host = new HostCommands(netns);
  }

  async get(name: string): Promise<number | undefined> {
    const result = await this.#host.run('sysctl', ['-n', name]);
    if (result.code !== 0) return undefined;
    const value = Number(result.stdout.trim());
    return Number.isFinite(value) ? value : undefined;
  }

  async set(name: string, value: number): Promise<void> {
    const result = await this.#host.run('sysctl', ['-q', '-w', `${name}=${value}`]);
    if (result.code !== 0) throw new SysctlError(`sysctl -w ${name}=${value} failed: ${result.stderr.trim()}`);
  }
}
