// `kubectl create secret generic|tls|docker-registry NAME`.
import { readFileSync } from 'node:fs';
import { FallbackSignal, str, strs } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';
import { CommandError, generator, list, meta, type Obj } from './create-common.ts';
import { configKeyErrors, envFileSource, fileSources, parseLiteralSource, sortedMap, sourceFlags } from './create-configmap.ts';

const SECRET = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };
const FAILURE = 'failed to create secret ';

function secretObject(name: string, namespace: string | undefined, data: Record<string, Buffer>, type: string): Obj {
  const obj: Obj = { kind: 'Secret', apiVersion: 'v1', metadata: meta(name, namespace) };
  const encoded = sortedMap(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString('base64')])));
  if (Object.keys(encoded).length) obj['data'] = encoded;
  if (type) obj['type'] = type;
  return obj;
}

function addKey(data: Record<string, Buffer>, key: string, value: Buffer): void {
  const errs = configKeyErrors(key);
  if (errs.length) throw new CommandError(`${JSON.stringify(key)} is not valid key name for a Secret ${errs.join(';')}`);
  if (key in data) throw new CommandError(`cannot add key ${key}, another key by that name already exists`);
  data[key] = value;
}

const generic = generator({
  use: 'create secret generic',
  flags: [...sourceFlags, { name: 'type', type: 'string' }],
  build(ctx) {
    const files = list(ctx.flags, 'from-file');
    const literals = strs(ctx.flags, 'from-literal');
    const envFiles = list(ctx.flags, 'from-env-file');
    if (envFiles.length && (files.length || literals.length)) throw new CommandError('from-env-file cannot be combined with from-file or from-literal');
    const data: Record<string, Buffer> = {};
    for (const l of literals) {
      const { key, value } = parseLiteralSource(l);
      addKey(data, key, Buffer.from(value));
    }
    for (const f of fileSources(files)) addKey(data, f.key, f.data);
    for (const path of envFiles) for (const e of envFileSource(path, 'secret', ctx.session.env)) addKey(data, e.key, Buffer.from(e.value));
    const obj = secretObject(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined, data, str(ctx.flags, 'type') ?? '');
    return { obj, target: SECRET, failure: FAILURE };
  },
});

function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandError(`Cannot read file ${file}, open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
}

const tls = generator({
  use: 'create secret tls',
  flags: [
    { name: 'cert', type: 'string' },
    { name: 'key', type: 'string' },
  ],
  async build(ctx) {
    const certFile = str(ctx.flags, 'cert') ?? '';
    const keyFile = str(ctx.flags, 'key') ?? '';
    if (!certFile || !keyFile) throw new CommandError('key and cert must be specified');
    const cert = readPem(certFile);
    const key = readPem(keyFile);
    const { X509Certificate, createPrivateKey } = await import('node:crypto');
    let x509;
    try {
      x509 = new X509Certificate(cert);
    } catch {
      throw new CommandError('tls: failed to find any PEM data in certificate input');
    }
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch {
      throw new CommandError('tls: failed to find any PEM data in key input');
    }
    if (!x509.checkPrivateKey(privateKey)) throw new CommandError('tls: private key does not match public key');
    const obj = secretObject(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined, { 'tls.crt': cert, 'tls.key': key }, 'kubernetes.io/tls');
    return { obj, target: SECRET, failure: FAILURE };
  },
});

const dockerRegistry = generator({
  use: 'create secret docker-registry',
  flags: [
    { name: 'docker-username', type: 'string' },
    { name: 'docker-password', type: 'string' },
    { name: 'docker-email', type: 'string' },
    { name: 'docker-server', type: 'string' },
    { name: 'from-file', type: 'strings' },
  ],
  build(ctx) {
    const files = list(ctx.flags, 'from-file');
    const username = str(ctx.flags, 'docker-username') ?? '';
    const password = str(ctx.flags, 'docker-password') ?? '';
    const email = str(ctx.flags, 'docker-email') ?? '';
    const server = str(ctx.flags, 'docker-server') ?? 'https://index.docker.io/v1/';
    if (!files.length && (!username || !password || !server)) throw new CommandError('either --from-file or the combination of --docker-username, --docker-password and --docker-server is required');
    const data: Record<string, Buffer> = {};
    if (files.length) for (const f of fileSources(files)) addKey(data, f.key, f.data);
    else {
      const entry: Record<string, string> = { username, password };
      if (email) entry['email'] = email;
      entry['auth'] = Buffer.from(`${username}:${password}`).toString('base64');
      data['.dockerconfigjson'] = Buffer.from(JSON.stringify({ auths: { [server]: entry } }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'));
    }
    const obj = secretObject(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined, data, 'kubernetes.io/dockerconfigjson');
    return { obj, target: SECRET, failure: FAILURE };
  },
});

const subs: Record<string, KubectlCommand> = { generic, tls, 'docker-registry': dockerRegistry };

/** `create secret TYPE …`: the type is one level below what main.ts resolves. */
export const createSecret: KubectlCommand = {
  flags: [...new Set(Object.values(subs).flatMap((s) => s.flags))].filter((f, i, all) => all.findIndex((g) => g.name === f.name) === i),
  unsupported: generic.unsupported ?? [],
  run(session, args) {
    const chosen = args[0] !== undefined ? subs[args[0]] : undefined;
    if (!chosen) throw new FallbackSignal('create secret without a type');
    const allowed = new Set(chosen.flags.map((f) => f.name));
    const foreign = this.flags.find((f) => !allowed.has(f.name) && session.flags.has(f.name));
    if (foreign) throw new CommandError(`unknown flag: --${foreign.name}\nSee 'kubectl create secret ${args[0]} --help' for usage.`);
    return chosen.run(session, args.slice(1));
  },
};
