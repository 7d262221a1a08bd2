// Pod and container specs into CRI configs: resources as cgroup settings, security contexts, runAsNonRoot, sandbox
// namespaces, ports, hostname, labels and annotations, and $(VAR) expansion.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import { ContainerConfigError } from '../seams.ts';
import {
  containerConfig,
  containerSecurityContext,
  DEFAULT_MASKED_PATHS,
  expandEnvReferences,
  linuxResources,
  milliCPUToQuota,
  milliCPUToShares,
  oomScoreAdj,
  podSandboxConfig,
  verifyRunAsNonRoot,
} from './container-config.ts';

const GiB = 2 ** 30;

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { note: 'x' } },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
  };
}
const container = (extra: Partial<Container> = {}): Container => ({ name: 'c', image: 'nginx', ...extra });

describe('resources', () => {
  it('computes cpu shares and CFS quota as kubelet does', () => {
    assert.equal(milliCPUToShares(0), 2);
    assert.equal(milliCPUToShares(1), 2);
    assert.equal(milliCPUToShares(100), 102);
    assert.equal(milliCPUToShares(1000), 1024);
    assert.equal(milliCPUToShares(1_000_000), 262_144);
    assert.equal(milliCPUToQuota(0), 0);
    assert.equal(milliCPUToQuota(5), 1000, 'never below the minimum quota');
    assert.equal(milliCPUToQuota(250), 25_000);
  });

  it('maps requests and limits to cpuShares, cpuQuota, cpuPeriod and memoryLimitInBytes', () => {
    const c = container({ resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } });
    assert.deepEqual(linuxResources(pod({ containers: [c] }), c, 8 * GiB), {
      cpuPeriod: 100_000,
      cpuQuota: 50_000,
      cpuShares: 256,
      memoryLimitInBytes: 128 * 2 ** 20,
      oomScoreAdj: 1000 - Math.floor((1000 * 64 * 2 ** 20) / (8 * GiB)),
    });
    const limitOnly = container({ resources: { limits: { cpu: '2' } } });
    assert.equal(linuxResources(pod({ containers: [limitOnly] }), limitOnly, GiB).cpuShares, 2048, 'the limit stands in for a missing request');
  });

  it('adjusts OOM scores by QoS class', () => {
    const guaranteed = container({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } });
    assert.equal(oomScoreAdj(pod({ containers: [guaranteed] }), guaranteed, 8 * GiB), -997);
    assert.equal(oomScoreAdj(pod(), container(), 8 * GiB), 1000);
    const tiny = container({ resources: { requests: { cpu: '10m' } } });
    assert.equal(oomScoreAdj(pod({ containers: [tiny] }), tiny, 8 * GiB), 999, 'burstable never equals best-effort');
    const huge = container({ resources: { requests: { memory: '8Gi' } } });
    assert.equal(oomScoreAdj(pod({ containers: [huge] }), huge, 8 * GiB), 3);
  });
});

describe('security context', () => {
  it('runs unprivileged by default: host namespaces off, masked paths, unconfined seccomp', () => {
    const sc = containerSecurityContext(pod(), container());
    assert.deepEqual(sc['namespaceOptions'], { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    assert.equal(sc['privileged'], false);
    assert.equal(sc['noNewPrivs'], false);
    assert.deepEqual(sc['seccomp'], { profileType: 'Unconfined' });
    assert.deepEqual(sc['maskedPaths'], DEFAULT_MASKED_PATHS);
    assert.equal(sc['runAsUser'], undefined);
  });

  it('maps the container over the pod: user, group, capabilities, read-only root, privilege escalation', () => {
    const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000] } });
    const sc = containerSecurityContext(
      p,
      container({ securityContext: { runAsUser: 1001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } } }),
    );
    assert.deepEqual(sc['runAsUser'], { value: 1001 });
    assert.deepEqual(sc['runAsGroup'], { value: 3000 });
    assert.deepEqual(sc['supplementalGroups'], [4000, 2000]);
    assert.equal(sc['readonlyRootfs'], true);
    assert.equal(sc['noNewPrivs'], true);
    assert.deepEqual(sc['capabilities'], { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] });
  });

  it('gives privileged containers everything and host namespaces to host pods', () => {
    const sc = containerSecurityContext(pod({ hostPID: true, hostNetwork: true, hostIPC: true }), container({ securityContext: { privileged: true } }));
    assert.equal(sc['privileged'], true);
    assert.deepEqual(sc['maskedPaths'], []);
    assert.deepEqual(sc['namespaceOptions'], { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
    const shared = containerSecurityContext(pod({ shareProcessNamespace: true }), container());
    assert.equal((shared['namespaceOptions'] as { pid: string }).pid, 'POD');
    assert.deepEqual(containerSecurityContext(pod(), container({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }))['seccomp'], { profileType: 'RuntimeDefault' });
  });

  it('refuses runAsNonRoot containers that would run as root, with kubelet\'s message', () => {
    const nonRoot = pod({ securityContext: { runAsNonRoot: true } });
    assert.throws(
      () => verifyRunAsNonRoot(nonRoot, container(), {}),
      (err: unknown) => err instanceof ContainerConfigError && err.message === 'container has runAsNonRoot and image will run as root (pod: "web_shop(u-1)", container: c)',
    );
    assert.throws(() => verifyRunAsNonRoot(nonRoot, container(), { uid: 0n }), /image will run as root/);
    assert.throws(() => verifyRunAsNonRoot(nonRoot, container(), { username: 'nginx' }), /image has non-numeric user \(nginx\), cannot verify user is non-root/);
    assert.throws(() => verifyRunAsNonRoot(nonRoot, container({ securityContext: { runAsUser: 0 } }), { uid: 1000n }), /runAsUser breaks non-root policy/);
    verifyRunAsNonRoot(nonRoot, container(), { uid: 101n });
    verifyRunAsNonRoot(nonRoot, container({ securityContext: { runAsUser: 65534 } }), {});
    verifyRunAsNonRoot(pod(), container(), {});
  });
});

describe('podSandboxConfig', () => {
  const input = { attempt: 2, logDirectory: '/logs/shop_web_u-1', dnsConfig: { servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local'], options: ['ndots:5'] }, clusterDomain: 'cluster.local' };

  it('carries metadata, CRI labels, annotations, hostname, DNS, ports and namespaces', () => {
    const p = pod({
      hostname: 'h',
      subdomain: 'sub',
      containers: [container({ ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP', name: 'dns' }] })],
      securityContext: { sysctls: [{ name: 'net/ipv4/ip_local_port_range', value: '1024 65000' }] },
    });
    const config = podSandboxConfig(p, input);
    assert.deepEqual(config.metadata, { name: 'web', namespace: 'shop', uid: 'u-1', attempt: 2 });
    assert.deepEqual(config.labels, { app: 'web', 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': 'u-1' });
    assert.deepEqual(config.annotations, { note: 'x' });
    assert.equal(config.hostname, 'h');
    assert.equal(config.logDirectory, '/logs/shop_web_u-1');
    assert.deepEqual(config.dnsConfig, input.dnsConfig);
    assert.deepEqual(config.portMappings, [
      { protocol: 'TCP', containerPort: 80, hostPort: 8080 },
      { protocol: 'UDP', containerPort: 53 },
    ]);
    assert.deepEqual(config.linux?.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    assert.deepEqual(config.linux?.sysctls, { 'net.ipv4.ip_local_port_range': '1024 65000' });
    assert.equal(config.linux?.securityContext?.privileged, false);
    assert.equal(podSandboxConfig(pod({ hostname: 'h', subdomain: 'sub', setHostnameAsFQDN: true }), input).hostname, 'h.sub.shop.svc.cluster.local');
  });

  it('leaves the hostname to the node for host-network pods, and makes the sandbox privileged for a privileged container', () => {
    const config = podSandboxConfig(pod({ hostNetwork: true, containers: [container({ securityContext: { privileged: true } })] }), input);
    assert.equal(config.hostname, undefined);
    assert.equal(config.linux?.namespaceOptions?.network, 'NODE');
    assert.equal(config.linux?.securityContext?.privileged, true);
  });

  it('cuts a long pod name to a 63-character hostname', () => {
    const long = pod();
    long.metadata!.name = `${'a'.repeat(62)}-bcd`;
    assert.equal(podSandboxConfig(long, input).hostname, 'a'.repeat(62));
  });
});

describe('containerConfig', () => {
  it('builds the CRI container config: metadata, image, log path, labels and the annotations kubelet reads back', () => {
    const c = container({
      command: ['sh', '-c'],
      args: ['echo $(GREETING) $$(GREETING) $(MISSING)'],
      workingDir: '/srv',
      tty: true,
      stdin: true,
      lifecycle: { preStop: { exec: { command: ['sleep', '1'] } } },
    });
    const p = pod({ containers: [c], terminationGracePeriodSeconds: 45 });
    const config = containerConfig(p, c, { image: 'nginx:latest', restartCount: 3, envs: [{ key: 'GREETING', value: 'hi' }], mounts: [], memoryCapacity: GiB });
    assert.deepEqual(config.metadata, { name: 'c', attempt: 3 });
    assert.deepEqual(config.image, { image: 'nginx:latest' });
    assert.equal(config.logPath, 'c/3.log');
    assert.deepEqual(config.command, ['sh', '-c']);
    assert.deepEqual(config.args, ['echo hi $(GREETING) $(MISSING)']);
    assert.equal(config.workingDir, '/srv');
    assert.equal(config.tty, true);
    assert.equal(config.stdin, true);
    assert.deepEqual(config.labels, { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': 'u-1', 'io.kubernetes.container.name': 'c' });
    assert.equal(config.annotations?.['io.kubernetes.container.restartCount'], '3');
    assert.equal(config.annotations?.['io.kubernetes.container.terminationMessagePath'], '/dev/termination-log');
    assert.equal(config.annotations?.['io.kubernetes.container.terminationMessagePolicy'], 'File');
    assert.equal(config.annotations?.['io.kubernetes.pod.terminationGracePeriod'], '45');
    assert.match(config.annotations?.['io.kubernetes.container.hash'] ?? '', /^[0-9a-f]+$/);
    assert.equal(config.annotations?.['io.kubernetes.container.preStopHandler'], JSON.stringify({ exec: { command: ['sleep', '1'] } }));
  });

  it('expands $(VAR) references and $$ escapes', () => {
    const env = new Map([['A', 'x']]);
    assert.equal(expandEnvReferences('$(A)-$(B)-$$(A)-$$', env), 'x-$(B)-$(A)-$');
  });
});
