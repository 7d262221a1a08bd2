// Pod and container specs into CRI configs, as kubelet's kuberuntime does it (generatePodSandboxConfig,
// generateContainerConfig, generateLinuxContainerResources, the security context conversion, verifyRunAsNonRoot).
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1.d.ts';
import { computeQOSClass } from '../../api/validation-pod.ts';
import { parseQuantity, quantityMilliValue, quantityValue } from '../../apiserver/quantity.ts';
import type { ContainerConfig, DNSConfig, KeyValue, Mount, PodSandboxConfig, PortMapping } from '../runtime.ts';
import { containerLogPath, ContainerConfigError, CRI_LABELS } from '../seams.ts';
import { podHostnameAndDomain } from './dns.ts';
import { podFullName } from './format.ts';
import { CONTAINER_ANNOTATIONS } from './runtime-state.ts';
import { containerHash } from './sync.ts';

/** cgroup cpu.shares bounds and the CFS period kubelet uses (pkg/kubelet/cm/helpers_linux.go). */
export const MIN_SHARES = 2;
export const MAX_SHARES = 262_144;
export const QUOTA_PERIOD_US = 100_000;
export const MIN_QUOTA_PERIOD_US = 1_000;
/** OOM score adjustments by QoS class (pkg/kubelet/qos). */
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BESTEFFORT_OOM_SCORE_ADJ = 1000;

/** The paths runc masks and makes read-only unless the container is privileged (securitycontext's defaults). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const quantity = (q: unknown): { milli: bigint; value: bigint } | undefined => {
  if (q === undefined || q === null) return undefined;
  try {
    const parsed = parseQuantity(String(q));
    return { milli: quantityMilliValue(parsed), value: quantityValue(parsed) };
  } catch {
    return undefined;
  }
};

export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * 1024) / 1000);
  return Math.min(Math.max(shares, MIN_SHARES), MAX_SHARES);
}

export function milliCPUToQuota(milliCPU: number, periodUs = QUOTA_PERIOD_US): number {
  if (milliCPU === 0) return 0;
  return Math.max(Math.floor((milliCPU * periodUs) / 1000), MIN_QUOTA_PERIOD_US);
}

/** qos.GetContainerOOMScoreAdjust. */
export function oomScoreAdj(pod: Pod, container: Container, memoryCapacity: number): number {
  if (pod.spec?.priority !== undefined && pod.spec.priority >= 2_000_000_000) return GUARANTEED_OOM_SCORE_ADJ;
  switch (computeQOSClass(pod.spec as Record<string, unknown> | undefined)) {
    case 'Guaranteed':
      return GUARANTEED_OOM_SCORE_ADJ;
    case 'BestEffort':
      return BESTEFFORT_OOM_SCORE_ADJ;
  }
  const request = Number(quantity(container.resources?.requests?.['memory'])?.value ?? 0n);
  const adj = memoryCapacity > 0 ? 1000 - Math.floor((1000 * request) / memoryCapacity) : 1000;
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BESTEFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}

/** generateLinuxContainerResources: cpu.shares from the request (or limit), CFS quota from the limit, memory limit, OOM score. */
export function linuxResources(pod: Pod, container: Container, memoryCapacity: number): NonNullable<NonNullable<ContainerConfig['linux']>['resources']> {
  const cpuRequest = Number(quantity(container.resources?.requests?.['cpu'])?.milli ?? 0n);
  const cpuLimit = Number(quantity(container.resources?.limits?.['cpu'])?.milli ?? 0n);
  const memoryLimit = Number(quantity(container.resources?.limits?.['memory'])?.value ?? 0n);
  const shares = cpuRequest === 0 && cpuLimit !== 0 ? milliCPUToShares(cpuLimit) : milliCPUToShares(cpuRequest);
  return {
    cpuPeriod: QUOTA_PERIOD_US,
    cpuQuota: milliCPUToQuota(cpuLimit),
    cpuShares: shares,
    memoryLimitInBytes: memoryLimit,
    oomScoreAdj: oomScoreAdj(pod, container, memoryCapacity),
  };
}

/** DetermineEffectiveSecurityContext: the container's settings over the pod's. */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const podSC = pod.spec?.securityContext ?? {};
  const sc: SecurityContext = {};
  if (podSC.runAsUser !== undefined) sc.runAsUser = podSC.runAsUser;
  if (podSC.runAsGroup !== undefined) sc.runAsGroup = podSC.runAsGroup;
  if (podSC.runAsNonRoot !== undefined) sc.runAsNonRoot = podSC.runAsNonRoot;
  if (podSC.seccompProfile) sc.seccompProfile = podSC.seccompProfile;
  if (podSC.seLinuxOptions) sc.seLinuxOptions = podSC.seLinuxOptions;
  const own = container.securityContext ?? {};
  for (const [k, v] of Object.entries(own)) if (v !== undefined) (sc as Record<string, unknown>)[k] = v;
  return sc;
}

type SeccompProfile = { profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostRef?: string };

/** Without a profile, kubelet (SeccompDefault off) runs containers unconfined. */
function seccomp(profile: SecurityContext['seccompProfile'], privileged: boolean): SeccompProfile {
  if (privileged || !profile) return { profileType: 'Unconfined' };
  if (profile.type === 'RuntimeDefault') return { profileType: 'RuntimeDefault' };
  if (profile.type === 'Localhost') return { profileType: 'Localhost', localhostRef: `/var/lib/kubelet/seccomp/${profile.localhostProfile ?? ''}` };
  return { profileType: 'Unconfined' };
}

function namespaceOptions(pod: Pod) {
  return {
    network: pod.spec?.hostNetwork ? 'NODE' : 'POD',
    pid: pod.spec?.hostPID ? 'NODE' : pod.spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: pod.spec?.hostIPC ? 'NODE' : 'POD',
  } as const;
}

function supplementalGroups(pod: Pod): number[] {
  const podSC = pod.spec?.securityContext;
  const groups = [...(podSC?.supplementalGroups ?? [])];
  if (podSC?.fsGroup !== undefined && !groups.includes(podSC.fsGroup)) groups.push(podSC.fsGroup);
  return groups;
}

/** The CRI LinuxContainerSecurityContext of a container. */
export function containerSecurityContext(pod: Pod, container: Container): Record<string, unknown> {
  const sc = effectiveSecurityContext(pod, container);
  const privileged = sc.privileged === true;
  const out: Record<string, unknown> = {
    namespaceOptions: namespaceOptions(pod),
    privileged,
    readonlyRootfs: sc.readOnlyRootFilesystem === true,
    // AddNoNewPrivileges: only an explicit allowPrivilegeEscalation: false sets no_new_privs.
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    seccomp: seccomp(sc.seccompProfile, privileged),
    maskedPaths: privileged || sc.procMount === 'Unmasked' ? [] : DEFAULT_MASKED_PATHS,
    readonlyPaths: privileged || sc.procMount === 'Unmasked' ? [] : DEFAULT_READONLY_PATHS,
  };
  if (sc.capabilities) out['capabilities'] = { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] };
  if (sc.runAsUser !== undefined) out['runAsUser'] = { value: sc.runAsUser };
  if (sc.runAsGroup !== undefined) out['runAsGroup'] = { value: sc.runAsGroup };
  const groups = supplementalGroups(pod);
  if (groups.length) out['supplementalGroups'] = groups;
  return out;
}

/** What the image says it runs as (CRI ImageStatus uid/username); neither means root. */
export interface ImageUser {
  uid?: bigint;
  username?: string;
}

/** verifyRunAsNonRoot: throws ContainerConfigError with kubelet's message when the container would run as root. */
export function verifyRunAsNonRoot(pod: Pod, container: Container, image: ImageUser): void {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return;
  const full = podFullName(pod);
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy (pod: "${full}", container: ${container.name})`);
    return;
  }
  if (image.uid === undefined && image.username) {
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root (pod: "${full}", container: ${container.name})`,
    );
  }
  if ((image.uid ?? 0n) === 0n) throw new ContainerConfigError(`container has runAsNonRoot and image will run as root (pod: "${full}", container: ${container.name})`);
}

/** Ports of every container; the runtime maps the ones with a hostPort (MakePortMappings drops duplicates by name). */
export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const names = new Set<string>();
    for (const p of c.ports ?? []) {
      if (p.name) {
        if (names.has(p.name)) continue;
        names.add(p.name);
      }
      const mapping: PortMapping = { protocol: p.protocol ?? 'TCP', containerPort: p.containerPort } as PortMapping;
      if (p.hostPort) mapping.hostPort = p.hostPort;
      if (p.hostIP) mapping.hostIp = p.hostIP;
      out.push(mapping);
    }
  }
  return out;
}

export interface SandboxConfigInput {
  attempt: number;
  logDirectory: string;
  dnsConfig: DNSConfig;
  clusterDomain: string;
}

/** generatePodSandboxConfig. */
export function podSandboxConfig(pod: Pod, input: SandboxConfigInput): PodSandboxConfig {
  const m = pod.metadata ?? {};
  const config: PodSandboxConfig = {
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', attempt: input.attempt },
    logDirectory: input.logDirectory,
    dnsConfig: input.dnsConfig,
    labels: { ...m.labels, [CRI_LABELS.podName]: m.name ?? '', [CRI_LABELS.podNamespace]: m.namespace ?? '', [CRI_LABELS.podUID]: m.uid ?? '' },
    annotations: { ...m.annotations },
    portMappings: portMappings(pod),
  };
  if (!pod.spec?.hostNetwork) {
    const { hostname, domain } = podHostnameAndDomain(pod, input.clusterDomain);
    config.hostname = pod.spec?.setHostnameAsFQDN && domain ? `${hostname}.${domain}` : hostname;
  }
  const podSC = pod.spec?.securityContext;
  const privileged = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) => c.securityContext?.privileged === true);
  const securityContext: NonNullable<NonNullable<PodSandboxConfig['linux']>['securityContext']> = {
    privileged,
    seccomp: seccomp(podSC?.seccompProfile, privileged),
  };
  if (podSC?.runAsUser !== undefined) securityContext.runAsUser = { value: podSC.runAsUser };
  if (podSC?.runAsGroup !== undefined) securityContext.runAsGroup = { value: podSC.runAsGroup };
  const groups = supplementalGroups(pod);
  if (groups.length) securityContext.supplementalGroups = groups;
  config.linux = { namespaceOptions: namespaceOptions(pod), securityContext };
  const sysctls = podSC?.sysctls ?? [];
  if (sysctls.length) config.linux.sysctls = Object.fromEntries(sysctls.map((s) => [s.name.replaceAll('/', '.'), s.value]));
  return config;
}

/** Container labels (newContainerLabels). */
export function containerLabels(pod: Pod, container: Container): Record<string, string> {
  const m = pod.metadata ?? {};
  return {
    [CRI_LABELS.podName]: m.name ?? '',
    [CRI_LABELS.podNamespace]: m.namespace ?? '',
    [CRI_LABELS.podUID]: m.uid ?? '',
    [CRI_LABELS.containerName]: container.name,
  };
}

/** Container annotations (newContainerAnnotations): what kubelet needs to know the container again later. */
export function containerAnnotations(pod: Pod, container: Container, restartCount: number): Record<string, string> {
  const out: Record<string, string> = {
    [CONTAINER_ANNOTATIONS.hash]: containerHash(container),
    [CONTAINER_ANNOTATIONS.restartCount]: String(restartCount),
    [CONTAINER_ANNOTATIONS.terminationMessagePath]: container.terminationMessagePath ?? '/dev/termination-log',
    [CONTAINER_ANNOTATIONS.terminationMessagePolicy]: container.terminationMessagePolicy ?? 'File',
  };
  const grace = pod.spec?.terminationGracePeriodSeconds;
  if (grace !== undefined) out[CONTAINER_ANNOTATIONS.terminationGracePeriod] = String(grace);
  if (container.lifecycle?.preStop) out[CONTAINER_ANNOTATIONS.preStopHandler] = JSON.stringify(container.lifecycle.preStop);
  if (container.ports?.length) out[CONTAINER_ANNOTATIONS.ports] = JSON.stringify(container.ports);
  return out;
}

/** $(VAR) references in command and args, expanded from the container's environment ($$ escapes). */
export function expandEnvReferences(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && env.has(name) ? env.get(name)! : match;
  });
}

export interface ContainerConfigInput {
  /** The image to create from: the reference pulled (with its default tag). */
  image: string;
  restartCount: number;
  envs: KeyValue[];
  mounts: Mount[];
  memoryCapacity: number;
}

/** generateContainerConfig. */
export function containerConfig(pod: Pod, container: Container, input: ContainerConfigInput): ContainerConfig {
  const env = new Map(input.envs.map((e) => [e.key, e.value]));
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt: input.restartCount },
    image: { image: input.image },
    envs: input.envs,
    mounts: input.mounts,
    labels: containerLabels(pod, container),
    annotations: containerAnnotations(pod, container, input.restartCount),
    logPath: containerLogPath(container.name, input.restartCount),
    linux: {
      resources: linuxResources(pod, container, input.memoryCapacity),
      securityContext: containerSecurityContext(pod, container),
    },
  };
  if (container.command?.length) config.command = container.command.map((c) => expandEnvReferences(c, env));
  if (container.args?.length) config.args = container.args.map((a) => expandEnvReferences(a, env));
  if (container.workingDir) config.workingDir = container.workingDir;
  if (container.stdin) config.stdin = true;
  if (container.stdinOnce) config.stdinOnce = true;
  if (container.tty) config.tty = true;
  return config;
}
