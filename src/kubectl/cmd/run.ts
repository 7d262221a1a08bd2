// `kubectl run NAME --image=…`: one pod, built as kubectl builds it. Attaching (-i, -t, --attach, --rm) and --expose
// are left to the real kubectl.
import { bool, str, strs } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';
import { CommandError, guarded, dryRunOf, DRY_RUN_FLAG, formatObject, outputOf, OUTPUT_FLAG, PRINT_UNSUPPORTED, sortedMap, writeQuery, type Obj } from '../mutate-output.ts';

const POD = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };

// distribution/reference's ReferenceRegexp, anchored.
const COMPONENT = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = `(?:${COMPONENT}(?:\\.${COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH}(?:/${PATH})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function parseRunLabels(text: string): Record<string, string> | undefined {
  if (!text) return undefined;
  const labels: Record<string, string> = {};
  for (const spec of text.split(',')) {
    const parts = spec.split('=');
    if (parts.length !== 2) throw new CommandError(`unexpected label spec: ${spec}`);
    if (!parts[0]) throw new CommandError('unexpected empty label key');
    labels[parts[0]] = parts[1]!;
  }
  return sortedMap(labels);
}

export function parseRunEnvs(envs: string[]): Obj[] {
  return envs.map((env) => {
    const eq = env.indexOf('=');
    const name = eq === -1 ? '' : env.slice(0, eq);
    if (eq === -1 || !name || !ENV_NAME.test(name)) throw new CommandError(`invalid env: ${env}`);
    return { name, value: env.slice(eq + 1) };
  });
}

export interface PodOptions {
  name: string;
  image: string;
  labels: Record<string, string>;
  annotations?: Record<string, string> | undefined;
  env: Obj[];
  args: string[];
  command: boolean;
  port: string;
  restartPolicy: string;
  imagePullPolicy: string;
  privileged: boolean;
  namespace?: string | undefined;
}

/** The pod `kubectl run` sends, fields in Go's order. */
export function runPod(o: PodOptions): Obj {
  const container: Obj = { name: o.name, image: o.image };
  if (o.args.length) container[o.command ? 'command' : 'args'] = o.args;
  if (o.port) container['ports'] = [{ containerPort: Number(o.port) }];
  if (o.env.length) container['env'] = o.env;
  container['resources'] = {};
  if (o.imagePullPolicy) container['imagePullPolicy'] = o.imagePullPolicy;
  if (o.privileged) container['securityContext'] = { privileged: true };
  const metadata: Obj = { name: o.name };
  if (o.namespace) metadata['namespace'] = o.namespace;
  metadata['labels'] = o.labels;
  if (o.annotations && Object.keys(o.annotations).length) metadata['annotations'] = o.annotations;
  return { kind: 'Pod', apiVersion: 'v1', metadata, spec: { containers: [container], restartPolicy: o.restartPolicy, dnsPolicy: 'ClusterFirst' }, status: {} };
}

export const runCommand: KubectlCommand = guarded({
  flags: [
    DRY_RUN_FLAG,
    OUTPUT_FLAG,
    { name: 'image', type: 'string' },
    { name: 'port', type: 'string' },
    { name: 'env', type: 'array' },
    { name: 'labels', short: 'l', type: 'string' },
    { name: 'annotations', type: 'array' },
    { name: 'restart', type: 'string' },
    { name: 'command', type: 'bool' },
    { name: 'image-pull-policy', type: 'string' },
    { name: 'privileged', type: 'bool' },
    { name: 'field-manager', type: 'string' },
  ],
  unsupported: ['stdin', 'i', 'tty', 't', 'attach', 'rm', 'leave-stdin-open', 'expose', 'quiet', 'q', 'overrides', 'override-type', 'detach-keys', 'pod-running-timeout', 'filename', 'f', 'save-config', 'cascade', 'grace-period', 'force', 'timeout', 'wait', 'kustomize', 'k', 'recursive', 'R', ...PRINT_UNSUPPORTED],
  async run(session, args) {
    const f = session.flags;
    const image = str(f, 'image') ?? '';
    if (!f.has('image')) throw new CommandError('required flag(s) "image" not set');
    const dryRun = dryRunOf(f);
    const format = outputOf(f);
    if (args.length === 0 || session.argsLenAtDash === 0) throw new CommandError("NAME is required for run\nSee 'kubectl run -h' for help and examples");
    if (!image) throw new CommandError('--image is required');
    if (!IMAGE_REFERENCE.test(image)) throw new CommandError(`Invalid image name ${JSON.stringify(image)}: invalid reference format`);
    const port = str(f, 'port') ?? '';
    if (port && !/^[+-]?\d+$/.test(port)) throw new CommandError(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
    const restart = str(f, 'restart') ?? 'Always';
    if (!['Always', 'OnFailure', 'Never'].includes(restart)) throw new CommandError(`invalid restart policy: ${restart}\nSee 'kubectl run -h' for help and examples`);
    const pull = str(f, 'image-pull-policy') ?? '';
    if (pull && !['Always', 'IfNotPresent', 'Never'].includes(pull)) throw new CommandError(`invalid image pull policy: ${pull}\nSee 'kubectl run -h' for help and examples`);
    const name = args[0]!;
    const annotations = Object.fromEntries(strs(f, 'annotations').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const pod = runPod({
      name,
      image,
      labels: parseRunLabels(str(f, 'labels') ?? '') ?? { run: name },
      annotations: sortedMap(annotations),
      env: parseRunEnvs(strs(f, 'env')),
      args: args.slice(1),
      command: bool(f, 'command'),
      port,
      restartPolicy: restart,
      imagePullPolicy: pull,
      privileged: bool(f, 'privileged'),
      namespace: dryRun === 'client' && f.has('namespace') ? session.namespace : undefined,
    });
    let result = pod;
    if (dryRun !== 'client') {
      result = await session.rest().json<Obj>({ method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(session.namespace)}/pods`, query: writeQuery(session, 'kubectl-run', dryRun), body: pod });
    }
    session.io.stdout(await formatObject(result, POD, format, 'created', dryRun));
    return 0;
  },
});
