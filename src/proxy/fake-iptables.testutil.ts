// An in-memory Iptables for unit tests: applies iptables-restore input the way the kernel does (each `*table … COMMIT`
// section atomically; a rule may only be added to, and jump to, a chain that exists; a chain may only be deleted when
// nothing jumps to it) and records every input.
import type { Table } from './chains.ts';
import { IptablesError, type Iptables } from './iptables.ts';

const BUILTIN: Record<Table, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};
const TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'MARK', 'DNAT', 'SNAT', 'MASQUERADE']);

type Tables = Record<Table, Map<string, string[]>>;

function fresh(): Tables {
  const t = {} as Tables;
  for (const table of Object.keys(BUILTIN) as Table[]) t[table] = new Map(BUILTIN[table].map((c) => [c, []]));
  return t;
}

function clone(t: Tables): Tables {
  const out = {} as Tables;
  for (const table of Object.keys(t) as Table[]) out[table] = new Map([...t[table]].map(([c, r]) => [c, [...r]]));
  return out;
}

function jumpTarget(rule: string): string | undefined {
  return / -j (\S+)/.exec(` ${rule}`)?.[1];
}

export class FakeIptables implements Iptables {
  readonly netns = undefined;
  tables: Tables = fresh();
  readonly restores: string[] = [];
  /** When set, the next restore fails with this message (after applying nothing). */
  failNextRestore: string | undefined;

  async restore(input: string): Promise<void> {
    this.restores.push(input);
    if (this.failNextRestore) {
      const msg = this.failNextRestore;
      this.failNextRestore = undefined;
      throw new IptablesError(msg);
    }
    let table: Table | undefined;
    let work: Tables | undefined;
    const lines = input.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const fail = (why: string) => {
        throw new IptablesError(`line ${i + 1}: ${why}: ${line}`);
      };
      if (!line) continue;
      if (line.startsWith('*')) {
        table = line.slice(1) as Table;
        work = clone(this.tables);
      } else if (line === 'COMMIT') {
        if (!work) fail('COMMIT outside a table');
        this.tables = work!;
        work = undefined;
      } else if (!work || !table) {
        fail('outside a table');
      } else if (line.startsWith(':')) {
        work[table].set(line.slice(1).split(' ')[0]!, []);
      } else if (line.startsWith('-X ')) {
        const chain = line.slice(3);
        if (!work[table].has(chain)) fail('no such chain');
        for (const rules of work[table].values()) if (rules.some((r) => jumpTarget(r) === chain)) fail('chain is still referenced');
        work[table].delete(chain);
      } else if (line.startsWith('-A ') || line.startsWith('-I ')) {
        const chain = line.split(' ')[1]!;
        const rules = work[table].get(chain);
        if (!rules) fail('no such chain');
        const target = jumpTarget(line);
        if (target && !TARGETS.has(target) && !work[table].has(target)) fail(`Chain '${target}' does not exist`);
        const rule = line.slice(3 + chain.length + 1);
        if (line.startsWith('-A ')) rules!.push(rule);
        else rules!.unshift(rule);
      } else {
        fail('unsupported');
      }
    }
  }

  async save(table: Table): Promise<string> {
    const out = [`*${table}`];
    for (const chain of this.tables[table].keys()) out.push(`:${chain} ${BUILTIN[table].includes(chain) ? 'ACCEPT' : '-'} [0:0]`);
    for (const [chain, rules] of this.tables[table]) for (const r of rules) out.push(`-A ${chain} ${r}`);
    out.push('COMMIT', '');
    return out.join('\n');
  }

  async chainExists(table: Table, chain: string): Promise<boolean> {
    return this.tables[table].has(chain);
  }

  async listRules(table: Table, chain: string): Promise<string[]> {
    const rules = this.tables[table].get(chain);
    if (!rules) throw new IptablesError(`no chain ${chain}`);
    return rules.map((r) => `-A ${chain} ${r}`);
  }

  async ensureRule(position: 'prepend' | 'append', table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    const rules = this.tables[table].get(chain);
    if (!rules) throw new IptablesError(`no chain ${chain}`);
    const rule = this.#spell(args);
    if (rules.includes(rule)) return true;
    const target = jumpTarget(rule);
    if (target && !TARGETS.has(target) && !this.tables[table].has(target)) throw new IptablesError(`Chain '${target}' does not exist`);
    if (position === 'prepend') rules.unshift(rule);
    else rules.push(rule);
    return false;
  }

  async deleteRule(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    const rules = this.tables[table].get(chain);
    const i = rules?.indexOf(this.#spell(args)) ?? -1;
    if (i < 0) return false;
    rules!.splice(i, 1);
    return true;
  }

  /** The rules of a chain, each without its "-A CHAIN " prefix. */
  rules(table: Table, chain: string): string[] | undefined {
    return this.tables[table].get(chain);
  }

  chains(table: Table): string[] {
    return [...this.tables[table].keys()];
  }

  #spell(args: readonly string[]): string {
    return args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
  }
}
