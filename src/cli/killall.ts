// `skiff killall`: stops everything a node left running on this machine, as k3s-killall.sh does — containers outlive
// `skiff up` and `skiff agent` (as they outlive a kubelet restart), so this is how a machine is made clean: every
// container and shim of Skiff's containerd, the containerd itself, the mounts under the data dir, network namespaces
// no process is left in, the pod bridge and Skiff's masquerade chain.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { containerdPaths } from '../kubelet/containerd-config.ts';
import { MASQUERADE_CHAIN } from '../network/masquerade.ts';

const run = promisify(execFile);

export interface KillallOptions {
  dataDir: string;
  bridge: string;
  log(line: string): void;
}

export interface KillallReport {
  processes: number;
  mounts: number;
  namespaces: number;
  bridge: boolean;
  /** KUBE-* chains of the Services proxy removed. */
  proxyChains: number;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const child of children(pid)) out.push(...descendants(child), child);
  return out;
}

function kill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** Skiff's containerd for this data dir and its shims (each shim names the containerd socket it serves). */
function skiffProcesses(dataDir: string): number[] {
  const paths = containerdPaths(dataDir);
  return processesWhere((exe, args) => (exe.startsWith('containerd-shim') && args.includes(paths.socket)) || (exe === 'containerd' && args.includes(paths.config)));
}

/** Skiff containerds of other data dirs still running (their config is <data-dir>/containerd/…). */
function otherSkiffContainerds(dataDir: string): number[] {
  const ours = containerdPaths(dataDir).config;
  return processesWhere((exe, args) => {
    const config = args[args.indexOf('--config') + 1];
    return exe === 'containerd' && !!config && config !== ours && config.endsWith(path.join('containerd', path.basename(ours)));
  });
}

/** The pids of running processes whose executable's name and arguments match. */
function processesWhere(match: (exe: string, args: string[]) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = cmdline(Number(entry));
    if (match(path.basename(args[0] ?? ''), args)) found.push(Number(entry));
  }
  return found;
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const prefix = path.resolve(dir);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' ') ?? '')
    .filter((mp) => mp === prefix || mp.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
}

export async function killall(opts: KillallOptions): Promise<KillallReport> {
  const report: KillallReport = { processes: 0, mounts: 0, namespaces: 0, bridge: false, proxyChains: 0 };
  // Containers first (the shims' children), then the shims and containerd, so nothing restarts what was killed.
  for (const pid of skiffProcesses(opts.dataDir)) {
    for (const p of descendants(pid)) if (kill(p)) report.processes++;
    if (kill(pid)) report.processes++;
  }
  if (report.processes) await new Promise((r) => setTimeout(r, 300));
  for (const mp of mountsUnder(opts.dataDir)) {
    try {
      await run('umount', ['-l', mp]);
      report.mounts++;
    } catch {
      // already gone with its parent
    }
  }
  // Network namespaces nothing lives in any more: what the killed sandboxes held.
  const netnsDir = '/run/netns';
  if (existsSync(netnsDir)) {
    for (const name of readdirSync(netnsDir)) {
      if (!name.startsWith('cni-')) continue;
      const { stdout } = await run('ip', ['netns', 'pids', name]).catch(() => ({ stdout: 'unknown' }));
      if (stdout.trim()) continue;
      await run('ip', ['netns', 'delete', name]).then(
        () => report.namespaces++,
        () => undefined,
      );
    }
  }
  const brif = `/sys/class/net/${opts.bridge}/brif`;
  // The kernel tears a deleted namespace down in the background: its veths leave the bridge a moment later.
  const bridgeEmpty = () => existsSync(brif) && readdirSync(brif).length === 0;
  for (let i = 0; i < 40 && report.namespaces > 0 && existsSync(brif) && !bridgeEmpty(); i++) await new Promise((r) => setTimeout(r, 50));
  if (bridgeEmpty()) {
    await run('ip', ['link', 'delete', opts.bridge]).then(
      () => (report.bridge = true),
      () => undefined,
    );
  }
  const jump = ['-t', 'nat', '-D', 'POSTROUTING', '-m', 'comment', '--comment', 'skiff: masquerade pods leaving the node', '-j', MASQUERADE_CHAIN];
  await run('iptables', ['-w', '5', ...jump]).catch(() => undefined);
  await run('iptables', ['-w', '5', '-t', 'nat', '-F', MASQUERADE_CHAIN]).catch(() => undefined);
  await run('iptables', ['-w', '5', '-t', 'nat', '-X', MASQUERADE_CHAIN]).catch(() => undefined);
  // The Services rules are the machine's, not one node's: they go once no other Skiff node runs here.
  if (otherSkiffContainerds(opts.dataDir).length === 0) {
    const { cleanupNftablesRules, cleanupProxyRules, ExecNftables, hostIptables } = await import('../proxy/index.ts');
    report.proxyChains = await cleanupProxyRules(hostIptables()).catch((err: unknown) => {
      opts.log(`the Services proxy's iptables rules could not all be removed: ${(err as Error).message}\n`);
      return 0;
    });
    // nftables mode's one table (`nft` may not be installed: then there is none): two commands, no netlink helper.
    await cleanupNftablesRules(new ExecNftables({ netlink: false })).catch(() => false);
  }
  opts.log(
    `stopped ${report.processes} processes (containers, shims, containerd), unmounted ${report.mounts} mounts under ${opts.dataDir}, ` +
      `removed ${report.namespaces} network namespaces${report.bridge ? ` and the bridge ${opts.bridge}` : ''}` +
      `${report.proxyChains ? `, and ${report.proxyChains} iptables chains of the Services proxy` : ''}\n`,
  );
  return report;
}
