import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage, encodeMessage } from './codec.ts';
import { CriError, isCriError } from './errors.ts';
import { CRI_SERVICES, criType } from './schema.ts';
import type { ContainerStatusResponse, ImageFsInfoResponse } from './types.ts';

describe('CRI codec', () => {
  it('carries int64 nanosecond timestamps as bigint without losing precision', () => {
    const createdAt = 1_764_168_000_123_456_789n;
    const bytes = encodeMessage('ContainerStatusResponse', {
      status: { id: 'c1', state: 'CONTAINER_EXITED', createdAt, exitCode: 137, reason: 'OOMKilled', labels: { app: 'web' } },
      info: {},
    });
    const back = decodeMessage<ContainerStatusResponse>('ContainerStatusResponse', bytes);
    assert.equal(back.status?.createdAt, createdAt);
    assert.equal(back.status?.startedAt, 0n);
    assert.equal(back.status?.state, 'CONTAINER_EXITED');
    assert.equal(back.status?.exitCode, 137);
    assert.equal(back.status?.reason, 'OOMKilled');
    assert.deepEqual(back.status?.labels, { app: 'web' });
    // Sub-messages that were not sent are undefined, not null.
    assert.equal(back.status?.metadata, undefined);
    assert.deepEqual(back.status?.mounts, []);
  });

  it('decodes wrapped uint64 values inside repeated messages', () => {
    const bytes = encodeMessage('ImageFsInfoResponse', {
      imageFilesystems: [{ timestamp: 5n, fsId: { mountpoint: '/x' }, usedBytes: { value: 2n ** 63n + 1n } }],
    });
    const back = decodeMessage<ImageFsInfoResponse>('ImageFsInfoResponse', bytes);
    assert.equal(back.imageFilesystems[0]?.usedBytes?.value, 2n ** 63n + 1n);
    assert.equal(back.imageFilesystems[0]?.inodesUsed, undefined);
    assert.deepEqual(back.containerFilesystems, []);
  });

  it('uses CRI v1 field numbers on the wire', () => {
    // ContainerStatusRequest: container_id = 1 (string), verbose = 2 (bool).
    assert.deepEqual([...encodeMessage('ContainerStatusRequest', { containerId: 'a', verbose: true })], [0x0a, 1, 0x61, 0x10, 1]);
    // StopContainerRequest.timeout is field 2, an int64.
    assert.deepEqual([...encodeMessage('StopContainerRequest', { containerId: '', timeout: 30n })], [0x10, 30]);
    // PodSandboxFilter.state wraps the enum in PodSandboxStateValue (field 2), SANDBOX_NOTREADY = 1.
    assert.deepEqual([...encodeMessage('PodSandboxFilter', { state: { state: 'SANDBOX_NOTREADY' } })], [0x12, 2, 0x08, 1]);
  });

  it('has every request and response type the services name', () => {
    for (const methods of Object.values(CRI_SERVICES)) {
      for (const [req, res] of Object.values(methods)) {
        assert.ok(criType(req));
        assert.ok(criType(res));
      }
    }
  });
});

describe('CriError', () => {
  it('keeps the gRPC code and maps it to the runtime seam’s code', () => {
    const notFound = new CriError('ContainerStatus', 5, 'an error occurred when try to find container "x": not found');
    assert.equal(notFound.grpcCodeName, 'NotFound');
    assert.equal(notFound.code, 'NotFound');
    assert.equal(notFound.name, 'CriError');
    assert.ok(isCriError(notFound, 'NotFound'));
    assert.ok(!isCriError(notFound, 'Unavailable'));
    assert.equal(new CriError('Version', 14, 'down').code, 'Unavailable');
    assert.equal(new CriError('Version', 4, 'slow').code, 'Unavailable');
    assert.equal(new CriError('PullImage', 13, 'boom').code, 'Unknown');
  });
});
