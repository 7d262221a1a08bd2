// The seam between the proxy's nftables mode and the kernel: upstream's knftables.Interface, reduced to what the proxy
// uses. ExecNftables runs the `nft` tool (Debian package nftables), inside a network namespace when given one; every
// script goes to `nft -f -` on stdin and is one kernel transaction. Element updates, the bulk of a large sync, go to
// the kernel as nf_tables netlink messages (nft-netlink.ts) through a small helper compiled from nfnl-send.c, which
// also starts nft for us (forking this process, with its large heap, would cost ~15 ms each time).
import { CommandNotFoundError, HostCommands, type CommandResult } from './host.ts';
import { batchFailure, batchOpsText, encodeBatch, type NftBatchOp } from './nft-netlink.ts';
import { NetlinkSender, netlinkSender } from './nfnl-helper.ts';
import { NFT_TABLE } from './nft-rules.ts';

export interface Nftables {
  /** The network namespace the rules live in (undefined: the host's). */
  readonly netns: string | undefined;
  /** Applies a script (`nft -f -`) atomically. */
  run(script: string): Promise<void>;
  /**
   * Applies a script, then the element ops (each part atomic; one transaction when both go as text). Resolves with
   * the number of transactions it took.
   */
  apply(script: string, ops: readonly NftBatchOp[]): Promise<number>;
  /**
   * Gets ready for what follows (starts the netlink helper), so that commands issued before a long computation run
   * during it.
   */
  prepare?(): Promise<void>;
  /** Lets go of what prepare or apply started (the helper); a later apply starts it again. */
  close?(): void;
  /** Names of the chains of our table ([] when it does not exist). */
  listChains(): Promise<string[]>;
  /** Names of the chains and of the sets of our table (none when it does not exist). */
  listObjects(): Promise<{ chains: string[]; sets: string[] }>;
  /** True if our table has this chain. */
  chainExists(chain: string): Promise<boolean>;
}

export class NftablesError extends Error {
  override name = 'NftablesError';
  constructor(
    message: string,
    readonly result?: CommandResult,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The lines of `text` nft complained about ("/dev/stdin:12:5-9: Error: …"), numbered, for an error message. */
function quoteErrorLines(script: string, stderr: string): string {
  const lines = script.split('\n');
  const out: string[] = [];
  for (const m of stderr.matchAll(/\/dev\/stdin:(\d+):/g)) {
    const n = Number(m[1]);
    if (out.length < 5) out.push(`${n}: ${lines[n - 1] ?? ''}`);
  }
  return out.length ? `\n${out.join('\n')}` : '';
}

/** Object names declared at the top level of our table in `nft list …` output ("\tchain NAME {"). */
export function namesInListing(listing: string, kind: 'chain' | 'set' | 'map'): string[] {
  const out: string[] = [];
  let inTable = false;
  const prefix = `\t${kind} `;
  for (const line of listing.split('\n')) {
    if (line.startsWith('table ')) inTable = line === `table ip ${NFT_TABLE} {`;
    else if (inTable && line.startsWith(prefix) && line.endsWith(' {')) out.push(line.slice(prefix.length, -2));
  }
  return out;
}

export class ExecNftables implements Nftables {
  readonly netns: string | undefined;
  readonly #host: HostCommands;
  readonly #useNetlink: boolean;
  #netlink: NetlinkSender | undefined;

  /** netlink: false writes every element as `nft` text (as when the helper cannot be had). */
  constructor(opts: { netns?: string | undefined; netlink?: boolean } = {}) {
    this.netns = opts.netns;
    this.#host = new HostCommands(opts.netns);
    this.#useNetlink = opts.netlink ?? true;
  }

  async run(script: string): Promise<void> {
    const result = await this.#nft(script);
    if (result.code === 0) return;
    throw new NftablesError(`nft -f failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(0, 6).join('\n')}${quoteErrorLines(script, result.stderr)}`, result);
  }

  async prepare(): Promise<void> {
    (await this.#helper())?.start();
  }

  /** The running netlink helper, or undefined when there is none to be had. */
  async #helper(): Promise<NetlinkSender | undefined> {
    if (this.#netlink || !this.#useNetlink) return this.#netlink;
    const path = await netlinkSender();
    return path ? (this.#netlink ??= new NetlinkSender(path, this.netns)) : undefined;
  }

  close(): void {
    this.#netlink?.close();
    this.#netlink = undefined;
  }

  async apply(script: string, ops: readonly NftBatchOp[]): Promise<number> {
    const helper = ops.length ? await this.#helper() : undefined;
    if (!helper) {
      await this.run(script + batchOpsText(ops).map((l) => `${l}\n`).join(''));
      return 1;
    }
    // The batch is encoded while nft applies the script (its request is written before run returns).
    const ran = script ? this.run(script) : Promise.resolve();
    let batch;
    try {
      batch = encodeBatch(ops);
    } catch (err) {
      await ran.catch(() => {});
      throw err;
    }
    await ran;
    const failure = batchFailure(batch, await helper.send(batch.bytes));
    if (failure) throw new NftablesError(`nf_tables batch failed: ${failure}`);
    return script ? 2 : 1;
  }

  async listChains(): Promise<string[]> {
    return namesInListing(await this.#list(['list', 'chains', 'ip']), 'chain');
  }

  async listObjects(): Promise<{ chains: string[]; sets: string[] }> {
    // One nft for both; -t leaves set elements out.
    const result = await this.#nft('list chains ip\nlist sets ip\n', true);
    if (result.code !== 0) throw new NftablesError(`nft list chains, sets failed (exit ${result.code}): ${result.stderr.trim()}`, result);
    return { chains: namesInListing(result.stdout, 'chain'), sets: namesInListing(result.stdout, 'set') };
  }

  async chainExists(chain: string): Promise<boolean> {
    // Not `nft list chain …`: nft 1.0.6 reads every set element of the table for it (2.5 s of CPU at 10,000 Services).
    return (await this.listChains()).includes(chain);
  }

  /**
   * `nft -f -` (`-t`: terse) with `script`, started by the netlink helper when there is one (no fork of this
   * process), else directly.
   */
  async #nft(script: string, terse = false): Promise<CommandResult> {
    // With the helper running, the request is written before this returns (no await first): work issued before a
    // long computation starts at once.
    const helper = this.#netlink ?? (await this.#helper());
    if (!helper) return this.#host.run('nft', [...(terse ? ['-t'] : []), '-f', '-'], { input: script });
    const result = await helper.nft(script, { terse });
    if (result.code === 127 && result.stderr.startsWith('nft: command not found')) throw new CommandNotFoundError('nft: command not found');
    return result;
  }

  async #list(args: string[]): Promise<string> {
    const result = await this.#nft(`${args.join(' ')}\n`);
    if (result.code !== 0) throw new NftablesError(`nft ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`, result);
    return result.stdout;
  }
}

/** Removes the proxy's nftables table (upstream's CleanupLeftovers). Resolves true if there was one. */
export async function cleanupNftablesRules(nft: Nftables): Promise<boolean> {
  const existed = (await nft.listChains()).length > 0;
  // Adding first makes the delete succeed whether or not the table exists.
  await nft.run(`add table ip ${NFT_TABLE}\ndelete table ip ${NFT_TABLE}\n`);
  return existed;
}
