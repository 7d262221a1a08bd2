// `kubectl create deployment` and `kubectl create namespace`; the other generators are left to the real kubectl.
import { FlagError, str, strs, type FlagSpec } from '../flags.ts';
import { ApiError, describeError } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';

const common: FlagSpec[] = [{ name: 'field-manager', type: 'string' }];
const unsupported = ['dry-run', 'output', 'o', 'save-config', 'validate', 'template', 'show-managed-fields', 'allow-missing-template-keys', 'edit', 'windows-line-endings', 'raw', 'filename', 'f', 'selector', 'l'];

/** The container name kubectl derives from an image: its last path part without tag or digest. */
export function containerName(image: string, random: () => string = () => Math.random().toString(36).slice(2, 7)): string {
  let name = image.split('/').pop() ?? image;
  name = name.split(':')[0]!.split('@')[0]!;
  if (/[_.]/.test(name)) name = `${name.replace(/[_.]/g, '-')}-${random()}`;
  return name;
}

export function deploymentManifest(name: string, images: string[], replicas: number, port: number): Record<string, unknown> {
  const labels = { app: name };
  const containers: Array<Record<string, unknown>> = images.map((image) => ({ name: containerName(image), image, resources: {} }));
  if (port >= 0 && containers[0]) containers[0]['ports'] = [{ containerPort: port }];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } }, strategy: {} },
    status: {},
  };
}

const createDeployment: KubectlCommand = {
  flags: [...common, { name: 'image', type: 'strings' }, { name: 'replicas', short: 'r', type: 'int' }, { name: 'port', type: 'int' }],
  unsupported,
  async run(session, args) {
    const images = strs(session.flags, 'image');
    if (!images.length) throw new FlagError('required flag(s) "image" not set');
    if (args.length !== 1) {
      session.io.stderr(`error: exactly one NAME is required, got ${args.length}\nSee 'kubectl create deployment -h' for help and examples\n`);
      return 1;
    }
    const name = args[0]!;
    const body = deploymentManifest(name, images, Number(str(session.flags, 'replicas') ?? '1'), Number(str(session.flags, 'port') ?? '-1'));
    try {
      await session.rest().request({
        method: 'POST',
        path: `/apis/apps/v1/namespaces/${encodeURIComponent(session.namespace)}/deployments`,
        query: { fieldManager: str(session.flags, 'field-manager') ?? 'kubectl-create', fieldValidation: 'Strict' },
        body,
      });
    } catch (err) {
      if (err instanceof ApiError) {
        session.io.stderr(`error: failed to create deployment: ${err.status.message ?? err.message}\n`);
        return 1;
      }
      throw err;
    }
    session.io.stdout(`deployment.apps/${name} created\n`);
    return 0;
  },
};

const createNamespace: KubectlCommand = {
  flags: common,
  unsupported,
  async run(session, args) {
    if (args.length !== 1) {
      session.io.stderr(`error: exactly one NAME is required, got ${args.length}\nSee 'kubectl create namespace -h' for help and examples\n`);
      return 1;
    }
    const name = args[0]!;
    try {
      await session.rest().request({
        method: 'POST',
        path: '/api/v1/namespaces',
        query: { fieldManager: str(session.flags, 'field-manager') ?? 'kubectl-create', fieldValidation: 'Strict' },
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: {}, status: {} },
      });
    } catch (err) {
      session.io.stderr(`${describeError(err)}\n`);
      return 1;
    }
    session.io.stdout(`namespace/${name} created\n`);
    return 0;
  },
};

export const createCommand: KubectlCommand = {
  flags: [],
  run: () => Promise.resolve(1),
  sub: { deployment: createDeployment, deploy: createDeployment, namespace: createNamespace, ns: createNamespace },
};
