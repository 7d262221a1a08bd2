// Image references, pull policies, pull-secret credentials, and the image manager's pulls, backoff and events against
// the simulated runtime.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1.d.ts';
import type { AuthConfig, ImageSpec } from '../runtime.ts';
import { SimulatedRuntime } from '../runtime-simulated.ts';
import { Backoff } from './backoff.ts';
import { applyDefaultTag, credentialsFor, ImageManager, ImagePullError, parseImageReference, pullPolicy } from './images.ts';

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [] } };

function dockerSecret(auths: Record<string, unknown>, type = 'kubernetes.io/dockerconfigjson'): Secret {
  const key = type === 'kubernetes.io/dockerconfigjson' ? '.dockerconfigjson' : '.dockercfg';
  const body = type === 'kubernetes.io/dockerconfigjson' ? { auths } : auths;
  return { metadata: { name: 's' }, type, data: { [key]: Buffer.from(JSON.stringify(body)).toString('base64') } };
}

describe('image references', () => {
  it('parses references as docker does', () => {
    assert.deepEqual(parseImageReference('nginx'), { registry: 'docker.io', path: 'library/nginx', tag: '', digest: '' });
    assert.deepEqual(parseImageReference('bitnami/redis:7'), { registry: 'docker.io', path: 'bitnami/redis', tag: '7', digest: '' });
    assert.deepEqual(parseImageReference('localhost:5000/app@sha256:' + 'a'.repeat(64)), { registry: 'localhost:5000', path: 'app', tag: '', digest: 'sha256:' + 'a'.repeat(64) });
    assert.equal(parseImageReference('registry.k8s.io/pause:3.10')?.registry, 'registry.k8s.io');
    assert.equal(parseImageReference('Nginx'), undefined);
    assert.equal(parseImageReference('nginx:'), undefined);
  });

  it('adds :latest to an image without tag or digest, and refuses invalid names', () => {
    assert.equal(applyDefaultTag('nginx'), 'nginx:latest');
    assert.equal(applyDefaultTag('nginx:1.27'), 'nginx:1.27');
    assert.equal(applyDefaultTag('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.throws(() => applyDefaultTag('UPPER/case'), (err: unknown) => err instanceof ImagePullError && err.reason === 'InvalidImageName');
  });

  it('defaults the pull policy from the tag', () => {
    const c = (image: string, imagePullPolicy?: string): Container => ({ name: 'c', image, ...(imagePullPolicy && { imagePullPolicy }) });
    assert.equal(pullPolicy(c('nginx')), 'Always');
    assert.equal(pullPolicy(c('nginx:latest')), 'Always');
    assert.equal(pullPolicy(c('nginx:1.27')), 'IfNotPresent');
    assert.equal(pullPolicy(c('nginx:1.27', 'Never')), 'Never');
  });

  it('finds the credentials of a pull secret that match the image registry', () => {
    const secret = dockerSecret({
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
      'registry.example.com/team': { username: 'u', password: 'p' },
      '*.corp.example': { username: 'w', password: 'q' },
    });
    assert.deepEqual(credentialsFor('nginx:1', [secret]), [{ serverAddress: 'https://index.docker.io/v1/', username: 'hub', password: 'pw' }]);
    assert.deepEqual(
      credentialsFor('registry.example.com/team/app:1', [secret]).map((a: AuthConfig) => a.username),
      ['u'],
    );
    assert.deepEqual(credentialsFor('registry.example.com/other/app:1', [secret]), []);
    assert.deepEqual(credentialsFor('eu.corp.example/app', [secret]).map((a) => a.username), ['w']);
    assert.deepEqual(credentialsFor('quay.io/x/y', [dockerSecret({ 'quay.io': { username: 'q', password: 'r' } }, 'kubernetes.io/dockercfg')]).map((a) => a.username), ['q']);
  });
});

describe('ImageManager', () => {
  const container = (image: string, imagePullPolicy?: string): Container => ({ name: 'c', image, ...(imagePullPolicy && { imagePullPolicy }) });
  const events = () => {
    const list: string[] = [];
    return { list, record: (type: string, reason: string, message: string) => list.push(`${type} ${reason} ${message}`) };
  };

  it('pulls with Pulling and Pulled events, and finds the image present next time', async () => {
    const runtime = new SimulatedRuntime();
    const images = new ImageManager({ runtime });
    const e = events();
    const got = await images.ensureImageExists(pod, container('busybox:1.36'), [], e.record);
    assert.equal(got.image, 'busybox:1.36');
    assert.match(got.imageRef, /^sha256:/);
    assert.equal(e.list[0], 'Normal Pulling Pulling image "busybox:1.36"');
    assert.match(e.list[1]!, /^Normal Pulled Successfully pulled image "busybox:1\.36" in \S+ \(\S+ including waiting\)\. Image size: 0 bytes\.$/);
    const again = events();
    await images.ensureImageExists(pod, container('busybox:1.36'), [], again.record);
    assert.deepEqual(again.list, ['Normal Pulled Container image "busybox:1.36" already present on machine']);
  });

  it('refuses a missing image under pull policy Never', async () => {
    const images = new ImageManager({ runtime: new SimulatedRuntime() });
    const e = events();
    await assert.rejects(images.ensureImageExists(pod, container('app:1', 'Never'), [], e.record), (err: unknown) => err instanceof ImagePullError && err.reason === 'ErrImageNeverPull');
    assert.deepEqual(e.list, ['Warning ErrImageNeverPull Container image "app:1" is not present with pull policy of Never']);
  });

  it('fails a pull with ErrImagePull and an offline hint, then backs off with ImagePullBackOff', async () => {
    let now = 0;
    const runtime = new SimulatedRuntime({ unpullable: () => true });
    const images = new ImageManager({ runtime, backoff: new Backoff(10_000, 300_000, () => now), now: () => now });
    const e = events();
    await assert.rejects(images.ensureImageExists(pod, container('app:1'), [], e.record), (err: unknown) => err instanceof ImagePullError && err.reason === 'ErrImagePull' && /failed to resolve reference/.test(err.message));
    assert.match(e.list[1]!, /^Warning Failed Failed to pull image "app:1": .* provide it offline with `skiff image import FILE` .* `skiff image build`\.$/);
    await assert.rejects(
      images.ensureImageExists(pod, container('app:1'), [], e.record),
      (err: unknown) => err instanceof ImagePullError && err.reason === 'ImagePullBackOff' && err.message.startsWith('Back-off pulling image "app:1": ErrImagePull: '),
    );
    assert.equal(e.list.at(-1), 'Normal BackOff Back-off pulling image "app:1"');
    assert.equal(images.backoffEndsAt('u', 'app:1'), 10_000);
    now = 10_001;
    await assert.rejects(images.ensureImageExists(pod, container('app:1'), [], e.record), (err: unknown) => (err as ImagePullError).reason === 'ErrImagePull');
  });

  it('tries each matching credential until one works', async () => {
    const tried: (string | undefined)[] = [];
    class PickyRuntime extends SimulatedRuntime {
      override async pullImage(image: ImageSpec, auth?: AuthConfig): Promise<string> {
        tried.push(auth?.username);
        if (auth?.username !== 'right') throw new Error('pull access denied');
        return super.pullImage(image, auth);
      }
    }
    const images = new ImageManager({ runtime: new PickyRuntime() });
    await images.ensureImageExists(pod, container('private.example/app:1'), [{ username: 'wrong' }, { username: 'right' }], () => {});
    assert.deepEqual(tried, ['wrong', 'right']);
  });
});
