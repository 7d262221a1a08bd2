// Running one kubectl command through the real kubectl 1.35 and through Skiff's own kubectl, and comparing.
// Skiff's runs with SKIFF_KUBECTL=own: a verb or flag it leaves to the real kubectl fails instead of falling back,
// so a comparison never passes by running the real binary twice.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { kubeCacheDir, kubectlPath, type KubectlResult } from './kubectl.ts';
import { repoRoot } from './server.ts';

export interface RunOptions {
  env?: Record<string, string>;
  /** Standard input (for `-f -`). */
  input?: string;
  /** Leave out `--kubeconfig`: the environment alone (KUBECONFIG) chooses. */
  envOnly?: boolean;
}

/** The environment both kubectls run in: no KUBECTL_* or kuberc settings from outside, a cache and HOME of their own. */
export function cleanEnv(kubeconfig: string, home: string, env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(base)) if (key.startsWith('KUBECTL_') || key === 'KUBERC') delete base[key];
  return { ...base, KUBECACHEDIR: kubeCacheDir(kubeconfig), KUBERC: 'off', HOME: home, ...env };
}

/** Runs a command to completion (killed after 60 s), collecting its output. */
export function runProcess(cmd: string, argv: string[], env: NodeJS.ProcessEnv, input = ''): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

function kubeconfigArgs(kubeconfig: string, options: RunOptions): string[] {
  return options.envOnly ? [] : ['--kubeconfig', kubeconfig];
}

/** The real kubectl 1.35. */
export function realKubectl(args: string[], kubeconfig: string, options: RunOptions = {}): Promise<KubectlResult> {
  const home = dirname(kubeCacheDir(kubeconfig));
  return runProcess(kubectlPath(), [...kubeconfigArgs(kubeconfig, options), ...args], cleanEnv(kubeconfig, home, { KUBECONFIG: kubeconfig, ...options.env }), options.input);
}

/**
 * How to start Skiff's kubectl: `bin/skiff kubectl`, as users run it — the bundle, rebuilt first when a source is
 * newer (so a test sees the working tree), and about a second faster per command than running the sources with tsx.
 */
export function skiffCommand(): [string, ...string[]] {
  const launcher = join(repoRoot, 'bin/skiff');
  if (!built) {
    // Build now (bin/skiff's own check, under its lock), so no comparison sees its "building…" line on stderr.
    const r = spawnSync(launcher, [], { env: { ...process.env, SKIFF_BUILD_ONLY: '1' }, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`bin/skiff could not build dist/: ${r.stderr}${r.error?.message ?? ''}`);
    built = true;
  }
  return [launcher, 'kubectl'];
}
let built = false;

/** Skiff's own kubectl, never falling back to the real one. */
export function skiffKubectl(args: string[], kubeconfig: string, options: RunOptions = {}): Promise<KubectlResult> {
  const home = dirname(kubeCacheDir(kubeconfig));
  const env = cleanEnv(kubeconfig, home, { KUBECONFIG: kubeconfig, ...options.env, SKIFF_KUBECTL: 'own' });
  const [cmd, ...pre] = skiffCommand();
  return runProcess(cmd, [...pre, ...kubeconfigArgs(kubeconfig, options), ...args], env, options.input);
}

/** Ages (as HumanDuration prints them) may tick between the two runs. */
const AGE = /(?<=\s|^|\()(?:\d+[smhdy])+(?=\s|$|\))/gm;

/** What may differ between the two runs: the twin objects' names (kreal/kskif), ages, column padding. */
export function normalise(text: string): string {
  return text
    .replace(/kreal|kskif/g, 'KTOOL')
    .replace(AGE, '<age>')
    .replace(/ {2,}/g, '  ');
}

export interface SameOptions extends RunOptions {
  kubeconfig?: string;
  /** Further normalisation for both outputs (generated names, times), applied after `normalise`. */
  normalise?: (text: string) => string;
}

/**
 * Runs `args` through both kubectls and asserts the same stdout, stderr and exit code. `KTOOL` in an argument (or the
 * input) becomes `kreal` for the real kubectl and `kskif` for Skiff's: commands that change state work on twin objects
 * of names of the same length, so columns line up. Returns the real kubectl's result.
 */
export async function same(kubeconfig: string, args: string[], options: SameOptions = {}): Promise<KubectlResult> {
  const config = options.kubeconfig ?? kubeconfig;
  const twin = (tool: string) => (s: string) => s.replace(/KTOOL/g, tool);
  const withInput = (tool: string): RunOptions => ({ ...options, ...(options.input !== undefined ? { input: twin(tool)(options.input) } : {}) });
  const real = await realKubectl(args.map(twin('kreal')), config, withInput('kreal'));
  const ours = await skiffKubectl(args.map(twin('kskif')), config, withInput('kskif'));
  const what = `kubectl ${args.join(' ')}`;
  const extra = options.normalise ?? ((s: string) => s);
  const norm = (s: string) => extra(normalise(s));
  if (real.stdout !== ours.stdout.replace(/kskif/g, 'kreal')) assert.equal(norm(ours.stdout), norm(real.stdout), `${what}: stdout differs`);
  assert.equal(norm(ours.stderr), norm(real.stderr), `${what}: stderr differs`);
  assert.equal(ours.code, real.code, `${what}: exit code differs (stderr: ${real.stderr})`);
  return real;
}
