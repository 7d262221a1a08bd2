import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPod, defaultPodTemplateSpec, defaultPullPolicy, imageTag } from './defaults.ts';

describe('image pull policy', () => {
  it('follows the tag as upstream parses image names', () => {
    assert.equal(imageTag('nginx'), 'latest');
    assert.equal(imageTag('nginx:1.27'), '1.27');
    assert.equal(imageTag('localhost:5000/nginx'), 'latest');
    assert.equal(imageTag('registry.local:5000/team/app:v2'), 'v2');
    assert.equal(imageTag('nginx@sha256:' + 'a'.repeat(64)), '');
    assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
    assert.equal(defaultPullPolicy('nginx'), 'Always');
    assert.equal(defaultPullPolicy('nginx:1.27'), 'IfNotPresent');
    assert.equal(defaultPullPolicy('nginx@sha256:' + 'a'.repeat(64)), 'IfNotPresent');
    // An unparsable reference has no tag: IfNotPresent, as upstream ignores the parse error.
    assert.equal(defaultPullPolicy('Nginx'), 'IfNotPresent');
  });
});

describe('pod template defaults', () => {
  it('are the PodSpec defaults only (no SetDefaults_Pod extras)', () => {
    const tpl: Record<string, any> = { spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources: { limits: { cpu: '1' } } }], serviceAccount: 'robot' } };
    defaultPodTemplateSpec(tpl);
    assert.deepEqual(tpl['metadata'], {});
    assert.equal(tpl['spec'].enableServiceLinks, undefined);
    assert.deepEqual(tpl['spec'].containers[0].resources, { limits: { cpu: '1' } });
    assert.equal(tpl['spec'].serviceAccountName, 'robot');
  });

  it('give host-network pods host ports', () => {
    const pod: Record<string, any> = { spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 9100 }] }] } };
    defaultPod(pod);
    assert.deepEqual(pod['spec'].containers[0].ports, [{ containerPort: 9100, hostPort: 9100, protocol: 'TCP' }]);
  });

  it('default volume sources and projected tokens', () => {
    const pod: Record<string, any> = {
      spec: {
        containers: [{ name: 'c', image: 'x' }],
        volumes: [
          { name: 'sec', secret: { secretName: 's' } },
          { name: 'host', hostPath: { path: '/var/log' } },
          { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
        ],
      },
    };
    defaultPod(pod);
    assert.deepEqual(pod['spec'].volumes, [
      { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      {
        name: 'tok',
        projected: {
          defaultMode: 420,
          sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace', apiVersion: 'v1' } }] } }],
        },
      },
    ]);
  });
});
