import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMessage, decodeMessage } from './cri/codec.ts';
import type { WirePodSandboxConfig } from './cri/types.ts';
import { sandboxConfigForWire } from './runtime-cri.ts';

describe('sandboxConfigForWire', () => {
  it('moves the namespace options into linux.securityContext, where CRI carries them', () => {
    const wire = sandboxConfigForWire({
      metadata: { name: 'p', uid: 'u', namespace: 'default', attempt: 1 },
      hostname: 'p',
      linux: { cgroupParent: '/kubepods/pod-u', namespaceOptions: { network: 'NODE', pid: 'CONTAINER' } },
    });
    assert.deepEqual(wire.linux, { cgroupParent: '/kubepods/pod-u', securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER' } } });
    assert.equal(wire.hostname, 'p');
    // And the encoded message carries NODE (2) in NamespaceOption.network.
    const back = decodeMessage<WirePodSandboxConfig>('PodSandboxConfig', encodeMessage('PodSandboxConfig', wire));
    assert.equal(back.linux?.securityContext?.namespaceOptions?.network, 'NODE');
    assert.equal(back.linux?.securityContext?.namespaceOptions?.pid, 'CONTAINER');
  });

  it('leaves a config without linux options as it is', () => {
    const config = { metadata: { name: 'p', uid: 'u', namespace: 'default', attempt: 0 } };
    assert.deepEqual(sandboxConfigForWire(config), config);
  });
});
