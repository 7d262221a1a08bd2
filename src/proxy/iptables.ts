// The one seam between the proxy and netfilter: upstream's utiliptables.Interface, reduced to what kube-proxy uses.
// ExecIptables drives the nf_tables backend binaries (iptables-nft, iptables-nft-restore, iptables-nft-save) — never
// iptables-legacy, whose tables could not be removed again on this kind of host.
import type { Table } from './chains.ts';
import { HostCommands, type CommandResult } from './host.ts';

export interface Iptables {
  /** The network namespace the rules live in (undefined: the host's). */
  readonly netns: string | undefined;
  /** `iptables-restore --noflush --counters`: each `*table … COMMIT` section is applied atomically. */
  restore(input: string): Promise<void>;
  /** `iptables-save -t table`. */
  save(table: Table): Promise<string>;
  chainExists(table: Table, chain: string): Promise<boolean>;
  /** The rules of one chain as `iptables -S` prints them ("-A CHAIN …"), without its policy line. */
  listRules(table: Table, chain: string): Promise<string[]>;
  /** Adds the rule unless present (-C); resolves true if it was already there. */
  ensureRule(position: 'prepend' | 'append', table: Table, chain: string, args: readonly string[]): Promise<boolean>;
  /** Deletes the rule if present; resolves false if it was not. */
  deleteRule(table: Table, chain: string, args: readonly string[]): Promise<boolean>;
}

export class IptablesError extends Error {
  override name = 'IptablesError';
  constructor(
    message: string,
    readonly result?: CommandResult,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ExecIptablesOptions {
  /** Run every command inside this network namespace (`ip netns exec`). */
  netns?: string | undefined;
  /** Seconds to wait for the xtables lock (`-w`). Default 5. */
  waitSeconds?: number;
}

/** Up to `context` lines either side of line `n` (1-based) of `text`, numbered, for a restore error message. */
function linesAround(text: string, n: number, context = 3): string {
  const lines = text.split('\n');
  const from = Math.max(1, n - context);
  const to = Math.min(lines.length, n + context);
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${i}: ${lines[i - 1] ?? ''}`);
  return out.join('\n');
}

export class ExecIptables implements Iptables {
  readonly netns: string | undefined;
  readonly #host: HostCommands;
  readonly #wait: string[];

  constructor(opts: ExecIptablesOptions = {}) {
    this.netns = opts.netns;
    this.#host = new HostCommands(opts.netns);
    this.#wait = ['-w', String(opts.waitSeconds ?? 5)];
  }

  async restore(input: string): Promise<void> {
    const result = await this.#host.run('iptables-nft-restore', [...this.#wait, '--noflush', '--counters'], { input });
    if (result.code === 0) return;
    const line = /Error occurred at line: (\d+)/.exec(result.stderr)?.[1];
    const where = line ? `\n${linesAround(input, Number(line))}` : '';
    throw new IptablesError(`iptables-restore failed (exit ${result.code}): ${result.stderr.trim()}${where}`, result);
  }

  async save(table: Table): Promise<string> {
    const result = await this.#host.run('iptables-nft-save', ['-t', table]);
    if (result.code !== 0) throw new IptablesError(`iptables-save -t ${table} failed (exit ${result.code}): ${result.stderr.trim()}`, result);
    return result.stdout;
  }

  async chainExists(table: Table, chain: string): Promise<boolean> {
    return (await this.#iptables(['-t', table, '-S', chain])).code === 0;
  }

  async listRules(table: Table, chain: string): Promise<string[]> {
    const result = await this.#iptables(['-t', table, '-S', chain]);
    if (result.code !== 0) throw new IptablesError(`iptables -t ${table} -S ${chain} failed (exit ${result.code}): ${result.stderr.trim()}`, result);
    return result.stdout.split('\n').filter((l) => l.startsWith('-A '));
  }

  async ensureRule(position: 'prepend' | 'append', table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    const check = await this.#iptables(['-t', table, '-C', chain, ...args]);
    if (check.code === 0) return true;
    const add = await this.#iptables(['-t', table, position === 'prepend' ? '-I' : '-A', chain, ...args]);
    if (add.code !== 0) throw new IptablesError(`iptables -t ${table} ${position === 'prepend' ? '-I' : '-A'} ${chain} ${args.join(' ')}: ${add.stderr.trim()}`, add);
    return false;
  }

  async deleteRule(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    const check = await this.#iptables(['-t', table, '-C', chain, ...args]);
    if (check.code !== 0) return false;
    const del = await this.#iptables(['-t', table, '-D', chain, ...args]);
    if (del.code !== 0) throw new IptablesError(`iptables -t ${table} -D ${chain} ${args.join(' ')}: ${del.stderr.trim()}`, del);
    return true;
  }

  #iptables(args: readonly string[]): Promise<CommandResult> {
    return this.#host.run('iptables-nft', [...this.#wait, ...args]);
  }
}

/** The host's own tables (no network namespace). */
export function hostIptables(): Iptables {
  return new ExecIptables();
}

/** The chain names an `iptables-save` dump of one table declares. */
export function chainsInDump(dump: string): string[] {
  const out: string[] = [];
  for (const line of dump.split('\n')) {
    if (line.startsWith(':')) out.push(line.slice(1, line.indexOf(' ') > 0 ? line.indexOf(' ') : undefined));
  }
  return out;
}
