// `kubectl create deployment|job|cronjob NAME`, with --dry-run and -o like every generator.
import { str, strs } from '../flags.ts';
import { resolveResource, resourcePath } from '../discovery.ts';
import { CommandError, generator, meta, type Obj } from './create-common.ts';

/** The container name kubectl derives from an image: its last path part without tag or digest. */
export function containerName(image: string, random: () => string = () => Math.random().toString(36).slice(2, 7)): string {
  let name = image.split('/').pop() ?? image;
  name = name.split(':')[0]!.split('@')[0]!;
  if (/[_.]/.test(name)) name = `${name.replace(/[_.]/g, '-')}-${random()}`;
  return name;
}

const DEPLOYMENT = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true };
const JOB = { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true };
const CRONJOB = { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', namespaced: true };

/** A container in Go's field order: name, image, command, ports, resources. */
function container(name: string, image: string, command: string[], port = -1): Obj {
  const c: Obj = { name, image };
  if (command.length) c['command'] = command;
  if (port >= 0) c['ports'] = [{ containerPort: port }];
  c['resources'] = {};
  return c;
}

export const createDeployment = generator({
  use: 'create deployment',
  flags: [
    { name: 'image', type: 'strings' },
    { name: 'replicas', short: 'r', type: 'int' },
    { name: 'port', type: 'int' },
  ],
  required: ['image'],
  build(ctx) {
    const images = strs(ctx.flags, 'image');
    if (images.length > 1 && ctx.extra.length) throw new CommandError('cannot specify multiple --image options and command');
    const labels = { app: ctx.name };
    const port = Number(str(ctx.flags, 'port') ?? '-1');
    const containers = images.map((image, i) => container(containerName(image), image, ctx.extra, i === 0 ? port : -1));
    const obj: Obj = {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined, labels),
      spec: {
        replicas: Number(str(ctx.flags, 'replicas') ?? '1'),
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers } },
        strategy: {},
      },
      status: {},
    };
    return { obj, target: DEPLOYMENT, failure: 'failed to create deployment: ' };
  },
});

export const createJob = generator({
  use: 'create job',
  flags: [
    { name: 'image', type: 'string' },
    { name: 'from', type: 'string' },
  ],
  async build(ctx) {
    const image = str(ctx.flags, 'image') ?? '';
    const from = str(ctx.flags, 'from') ?? '';
    if ((!image && !from) || (image && from)) throw new CommandError('either --image or --from must be specified');
    if (ctx.extra.length && from) throw new CommandError('cannot specify --from and command');
    const namespace = ctx.enforceNamespace ? ctx.namespace : undefined;
    if (image) {
      const obj: Obj = {
        kind: 'Job',
        apiVersion: 'batch/v1',
        metadata: meta(ctx.name, namespace),
        spec: { template: { metadata: {}, spec: { containers: [container(ctx.name, image, ctx.extra)], restartPolicy: 'Never' } } },
        status: {},
      };
      return { obj, target: JOB, failure: 'failed to create job: ' };
    }
    const slash = from.indexOf('/');
    const typed = slash === -1 ? from : from.slice(0, slash);
    const resource = resolveResource(await ctx.session.discovery().data(), typed);
    if (!resource) throw new CommandError(`the server doesn't have a resource type "${typed}"`);
    if (slash === -1) throw new CommandError('from must be an existing cronjob');
    const cronJobName = from.slice(slash + 1);
    const cronJob = await ctx.session.rest().json<Obj>({ path: resourcePath(resource, ctx.namespace, cronJobName) });
    if (resource.kind !== 'CronJob') throw new CommandError(`unknown object type *${resource.group || 'v1'}.${resource.kind}`);
    const template = (cronJob['spec']?.jobTemplate ?? {}) as Obj;
    const annotations: Record<string, string> = { 'cronjob.kubernetes.io/instantiate': 'manual', ...(template['metadata']?.annotations ?? {}) };
    const metadata = meta(ctx.name, namespace, template['metadata']?.labels, Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : 1))));
    metadata['ownerReferences'] = [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob['metadata']?.name, uid: cronJob['metadata']?.uid, controller: true }];
    const obj: Obj = { kind: 'Job', apiVersion: 'batch/v1', metadata, spec: template['spec'] ?? {}, status: {} };
    return { obj, target: JOB, failure: 'failed to create job: ' };
  },
});

export const createCronJob = generator({
  use: 'create cronjob',
  flags: [
    { name: 'image', type: 'string' },
    { name: 'schedule', type: 'string' },
    { name: 'restart', type: 'string' },
  ],
  required: ['image', 'schedule'],
  build(ctx) {
    const obj: Obj = {
      kind: 'CronJob',
      apiVersion: 'batch/v1',
      metadata: meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined),
      spec: {
        schedule: str(ctx.flags, 'schedule') ?? '',
        jobTemplate: {
          metadata: { name: ctx.name },
          spec: { template: { metadata: {}, spec: { containers: [container(ctx.name, str(ctx.flags, 'image') ?? '', ctx.extra)], restartPolicy: str(ctx.flags, 'restart') || 'OnFailure' } } },
        },
      },
      status: {},
    };
    return { obj, target: CRONJOB, failure: 'failed to create cronjob: ' };
  },
});
