// `kubectl describe pod` and the pieces every workload describer shares (containers, volumes, tolerations, the
// pod template), in upstream's PodDescriber layout. Rare fields (resource claims, workload references, volume types
// nobody uses here) are left to the real kubectl.
import type { Container, ContainerState, ContainerStatus, EnvVar, Pod, PodTemplateSpec, Probe, Toleration, Volume } from 'kubernetes-types/core/v1.d.ts';
import { podQOS } from './qos.ts';
import { canonical, isPositive } from './storage-shared.ts';
import { type DescribeWriter, goSortSlice, printAnnotations, printEvents, printLabels, rfc1123z, unsupported } from './writer.ts';
import { age } from '../printers/duration.ts';
import { labelSelectorString } from '../../api/tables/format.ts';
import { isZeroQuantity, parseQuantity, quantityFromInt, quantityMilliValue, quantityValue } from '../../apiserver/quantity.ts';

type Fields = Record<string, any>;
type Resolver = ((e: EnvVar) => string) | undefined;

function ports(container: Container, host: boolean): string {
  return (container.ports ?? []).map((p) => `${host ? (p.hostPort ?? 0) : p.containerPort}/${p.protocol ?? ''}${p.name ? ` (${p.name})` : ''}`).join(', ');
}

function state(w: DescribeWriter, name: string, s: ContainerState | undefined): void {
  if (s?.running) {
    w.write(2, `${name}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(s.running.startedAt)}\n`);
  } else if (s?.waiting) {
    w.write(2, `${name}:\tWaiting\n`);
    if (s.waiting.reason) w.write(3, `Reason:\t${s.waiting.reason}\n`);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.write(2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if ((t.signal ?? 0) > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else w.write(2, `${name}:\tWaiting\n`);
}

export function describeResources(w: DescribeWriter, r: Container['resources'] | undefined, level: number): void {
  for (const [title, list] of [['Limits', r?.limits], ['Requests', r?.requests]] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length === 0) continue;
    w.write(level, `${title}:\n`);
    for (const n of names) w.write(level + 1, `${n}:\t${canonical(list![n])}\n`);
  }
}

/** upstream's DescribeProbe: `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`. */
export function describeProbe(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const g = p.httpGet;
    const port = String(g.port ?? '');
    const host = g.host ?? '';
    const hostPort = port ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    const path = g.path ?? '';
    if (/[^A-Za-z0-9\-._~$&+,;=:@/]/.test(path)) unsupported('a probe path that needs escaping');
    let url = `${(g.scheme ?? '').toLowerCase()}:`;
    if (hostPort || path.startsWith('//')) url += `//${hostPort}`;
    url += hostPort && path && !path.startsWith('/') ? `/${path}` : path;
    return `http-get ${url} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${String(p.tcpSocket.port ?? '')} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

/**
 * What kubectl shows for an env var set from a pod field: its scheme converts only metadata.name and
 * metadata.namespace as field labels, so every other path prints empty.
 */
export function podFieldResolver(pod: Pod): (e: EnvVar) => string {
  return (e) => {
    const path = e.valueFrom?.fieldRef?.fieldPath ?? '';
    if (path === 'metadata.name') return pod.metadata?.name ?? '';
    if (path === 'metadata.namespace') return pod.metadata?.namespace ?? '';
    return '';
  };
}

/** kubectl's ExtractContainerResourceValue: the amount in units of the divisor, rounded up; "" for resources it does not know. */
function containerResourceValue(c: Container, resource: string, divisor: unknown): string {
  const dot = resource.indexOf('.');
  const [which, name] = [resource.slice(0, dot), resource.slice(dot + 1)];
  if ((which !== 'limits' && which !== 'requests') || !(name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-'))) return '';
  const amount = parseQuantity(String(c.resources?.[which]?.[name] ?? '0'));
  let by = divisor === undefined || divisor === null ? quantityFromInt(1) : parseQuantity(String(divisor));
  if (isZeroQuantity(by)) by = quantityFromInt(1);
  const ratio = name === 'cpu' ? Number(quantityMilliValue(amount)) / Number(quantityMilliValue(by)) : Number(quantityValue(amount)) / Number(quantityValue(by));
  return String(Math.ceil(ratio) || 0);
}

function env(w: DescribeWriter, c: Container, resolve: Resolver): void {
  if (c.envFrom?.length) {
    w.write(2, 'Environment Variables from:\n');
    for (const e of c.envFrom) {
      const [from, name, optional] = e.configMapRef ? ['ConfigMap', e.configMapRef.name ?? '', e.configMapRef.optional === true] : e.secretRef ? ['Secret', e.secretRef.name ?? '', e.secretRef.optional === true] : ['', '', false];
      w.write(3, e.prefix ? `${name}\t${from} with prefix '${e.prefix}'\tOptional: ${optional}\n` : `${name}\t${from}\tOptional: ${optional}\n`);
    }
  }
  w.write(2, `Environment:${c.env?.length ? '' : '\t<none>'}\n`);
  for (const e of c.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
    } else if (from.fieldRef) {
      w.write(3, `${e.name}:\t${resolve ? resolve(e) : ''} (${from.fieldRef.apiVersion ?? ''}:${from.fieldRef.fieldPath})\n`);
    } else if (from.secretKeyRef) {
      w.write(3, `${e.name}:\t<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name ?? ''}'>\tOptional: ${from.secretKeyRef.optional === true}\n`);
    } else if (from.configMapKeyRef) {
      w.write(3, `${e.name}:\t<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name ?? ''}'>\tOptional: ${from.configMapKeyRef.optional === true}\n`);
    } else if (from.resourceFieldRef) {
      const resource = from.resourceFieldRef.resource;
      let value = containerResourceValue(c, resource, from.resourceFieldRef.divisor);
      if (value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')) value = 'node allocatable';
      w.write(3, `${e.name}:\t${value} (${resource})\n`);
    }
    // kubectl prints nothing for other sources (a file key).
  }
}

/** upstream's describeContainers; `space` is "  " inside a pod template. */
export function describeContainers(w: DescribeWriter, label: string, list: Container[], statuses: ContainerStatus[] | undefined, resolve: Resolver, space: string): void {
  w.write(0, `${space}${label}:${list.length === 0 ? ' <none>' : ''}\n`);
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  for (const c of list) {
    const status = byName.get(c.name);
    w.write(1, `${space ? ' ' : ''}${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID ?? ''}\n`);
    const p = ports(c, false);
    w.write(2, p.includes(',') ? `Ports:\t${p}\n` : `Port:\t${p || '<none>'}\n`);
    const h = ports(c, true);
    w.write(2, h.includes(',') ? `Host Ports:\t${h}\n` : `Host Port:\t${h || '<none>'}\n`);
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      w.write(2, `SeccompProfile:\t${seccomp.type}\n`);
      if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
    }
    for (const [title, lines] of [['Command', c.command], ['Args', c.args]] as const) {
      if (!lines?.length) continue;
      w.write(2, `${title}:\n`);
      for (const line of lines) for (const s of line.split('\n')) w.write(3, `${s}\n`);
    }
    if (status) {
      state(w, 'State', status.state);
      if (status.lastState?.terminated) state(w, 'Last State', status.lastState);
      w.write(2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    describeResources(w, c.resources, 2);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    env(w, c, resolve);
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
    const none = mounts.length ? '' : '\t<none>';
    w.write(2, `Mounts:${none}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
    if (c.volumeDevices?.length) {
      w.write(2, `Devices:${none}\n`);
      const devices = [...c.volumeDevices].sort((a, b) => (a.devicePath < b.devicePath ? -1 : a.devicePath > b.devicePath ? 1 : 0));
      for (const d of devices) w.write(3, `${d.devicePath} from ${d.name}\n`);
    }
  }
}

/** A volume source's lines (`Type:` and its fields), as the pod and PV describers print them. */
export function describeVolumeSource(w: DescribeWriter, v: Fields): boolean {
  const optional = (o: Fields) => o['optional'] === true;
  if (v['hostPath']) {
    w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v['hostPath'].path}\n    HostPathType:\t${v['hostPath'].type ?? '<none>'}\n`);
  } else if (v['emptyDir']) {
    const limit = v['emptyDir'].sizeLimit;
    const size = limit !== undefined && isPositive(limit) ? canonical(limit) : '<unset>';
    w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v['emptyDir'].medium ?? ''}\n    SizeLimit:\t${size}\n`);
  } else if (v['secret']) {
    w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v['secret'].secretName ?? ''}\n    Optional:\t${optional(v['secret'])}\n`);
  } else if (v['configMap']) {
    w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v['configMap'].name ?? ''}\n    Optional:\t${optional(v['configMap'])}\n`);
  } else if (v['nfs']) {
    w.write(2, `Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t${v['nfs'].server}\n    Path:\t${v['nfs'].path}\n    ReadOnly:\t${v['nfs'].readOnly === true}\n`);
  } else if (v['persistentVolumeClaim']) {
    const c = v['persistentVolumeClaim'];
    w.write(2, `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${c.claimName}\n    ReadOnly:\t${c.readOnly === true}\n`);
  } else if (v['ephemeral']) {
    // kubectl nests the claim template's lines through a prefix writer that indents every write, continuation lines too.
    unsupported('ephemeral volume');
  } else if (v['downwardAPI']) {
    w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
    for (const item of v['downwardAPI'].items ?? []) {
      if (item.fieldRef) w.write(3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
      if (item.resourceFieldRef) w.write(3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
    }
  } else if (v['projected']) {
    w.write(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
    for (const s of v['projected'].sources ?? []) {
      if (s.secret) w.write(2, `SecretName:\t${s.secret.name ?? ''}\n    Optional:\t${optional(s.secret)}\n`);
      else if (s.downwardAPI) w.write(2, 'DownwardAPI:\ttrue\n');
      else if (s.configMap) w.write(2, `ConfigMapName:\t${s.configMap.name ?? ''}\n    Optional:\t${optional(s.configMap)}\n`);
      else if (s.serviceAccountToken) w.write(2, `TokenExpirationSeconds:\t${s.serviceAccountToken.expirationSeconds}\n`);
    }
  } else if (v['local']) {
    w.write(2, `Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t${v['local'].path}\n`);
  } else if (v['image']) {
    w.write(2, `Type:\tImage (a container image or OCI artifact)\n    Reference:\t${v['image'].reference ?? ''}\n    PullPolicy:\t${v['image'].pullPolicy ?? ''}\n`);
  } else {
    const known = ['gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'iscsi', 'glusterfs', 'rbd', 'quobyte', 'azureDisk', 'vsphereVolume', 'cinder', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'cephfs', 'storageos', 'fc', 'azureFile', 'flexVolume', 'flocker', 'csi'];
    if (known.some((k) => v[k])) unsupported('volume type');
    return false;
  }
  return true;
}

export function describeVolumes(w: DescribeWriter, list: Volume[] | undefined, space: string): void {
  if (!list?.length) return w.write(0, `${space}Volumes:\t<none>\n`);
  w.write(0, `${space}Volumes:\n`);
  for (const v of list) {
    w.write(1, `${space ? ' ' : ''}${v.name}:\n`);
    if (!describeVolumeSource(w, v as Fields)) w.write(1, '<unknown>\n');
  }
}

export function printTolerations(w: DescribeWriter, title: string, list: Toleration[] | undefined): void {
  if (!list?.length) return w.write(0, `${title}:\t<none>\n`);
  goSortSlice(list, (t) => t.key ?? '').forEach((t, i) => {
    let s = i === 0 ? `${title}:\t` : '\t';
    s += t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) s += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${s}\n`);
  });
}

function topologySpread(w: DescribeWriter, list: Fields[] | undefined, space: string): void {
  if (!list?.length) return;
  goSortSlice(list, (t) => t['topologyKey'] ?? '').forEach((t, i) => {
    let s = i === 0 ? `${space}Topology Spread Constraints:\t` : `${space}\t`;
    s += `${t['topologyKey']}:${t['whenUnsatisfiable'] ?? ''} when max skew ${t['maxSkew'] ?? 0} is exceeded`;
    if (t['labelSelector']) s += ` for selector ${labelSelectorString(t['labelSelector']) || '<none>'}`;
    w.write(0, `${s}\n`);
  });
}

function workloadRef(w: DescribeWriter, spec: Fields, space: string): void {
  const ref = spec['workloadRef'];
  if (!ref) return;
  w.write(0, `${space}WorkloadRef:\n`);
  w.write(1, `Name:\t${ref.name ?? ''}\n`);
  w.write(1, `PodGroup:\t${ref.podGroup ?? ''}\n`);
  if (ref.podGroupReplicaKey) w.write(1, `PodGroupReplicaKey:\t${ref.podGroupReplicaKey}\n`);
}

/** upstream's DescribePodTemplate, used by every workload describer. */
export function describePodTemplate(w: DescribeWriter, template: PodTemplateSpec | undefined): void {
  w.write(0, 'Pod Template:\n');
  if (!template) return w.write(1, '<unset>');
  const spec = (template.spec ?? {}) as NonNullable<PodTemplateSpec['spec']> & Fields;
  const meta = template.metadata ?? {};
  printLabels(w, '  Labels', meta.labels);
  if (Object.keys(meta.annotations ?? {}).length) printAnnotations(w, '  Annotations', meta.annotations);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) describeContainers(w, 'Init Containers', spec.initContainers, undefined, undefined, '  ');
  describeContainers(w, 'Containers', spec.containers ?? [], undefined, undefined, '  ');
  describeVolumes(w, spec.volumes, '  ');
  topologySpread(w, spec.topologySpreadConstraints as Fields[] | undefined, '  ');
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabels(w, '  Node-Selectors', spec.nodeSelector);
  printTolerations(w, '  Tolerations', spec.tolerations);
  workloadRef(w, spec, '  ');
}

export function describePod(w: DescribeWriter, pod: Pod, events: Fields[] | undefined): void {
  const spec = (pod.spec ?? {}) as NonNullable<Pod['spec']> & Fields;
  const status = (pod.status ?? {}) as NonNullable<Pod['status']> & Fields;
  const meta = pod.metadata ?? {};
  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
  if (spec.priority !== undefined) w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) w.write(0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(0, `Start Time:\t${rfc1123z(status.startTime)}\n`);
  printLabels(w, 'Labels', meta.labels);
  printAnnotations(w, 'Annotations', meta.annotations);
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.write(0, `Status:\tTerminating (lasts ${age(meta.deletionTimestamp)})\n`);
    w.write(0, `Termination Grace Period:\t${meta.deletionGracePeriodSeconds ?? 0}s\n`);
  } else w.write(0, `Status:\t${status.phase ?? ''}\n`);
  if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(0, `Message:\t${status.message}\n`);
  const seccomp = spec.securityContext?.seccompProfile;
  if (seccomp) {
    w.write(0, `SeccompProfile:\t${seccomp.type}\n`);
    if (seccomp.type === 'Localhost') w.write(0, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
  }
  w.write(0, `IP:\t${status.podIP ?? ''}\n`);
  if (!status.podIPs?.length) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of status.podIPs) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const controller = meta.ownerReferences?.find((o) => o.controller);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
  if (spec.resources) {
    w.write(0, 'Resources:\n');
    describeResources(w, spec.resources, 1);
  }
  const resolve = podFieldResolver(pod);
  if (spec.initContainers?.length) describeContainers(w, 'Init Containers', spec.initContainers, status.initContainerStatuses, resolve, '');
  describeContainers(w, 'Containers', spec.containers ?? [], status.containerStatuses, resolve, '');
  if (spec.ephemeralContainers?.length) describeContainers(w, 'Ephemeral Containers', spec.ephemeralContainers as Container[], status.ephemeralContainerStatuses, resolve, '');
  if (spec.readinessGates?.length) {
    w.write(0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec.readinessGates) {
      const c = status.conditions?.find((x) => x.type === g.conditionType);
      w.write(1, `${g.conditionType} \t${c ? c.status : '<none>'} \n`);
    }
  }
  if (status.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of status.conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, spec.volumes, '');
  w.write(0, `QoS Class:\t${podQOS(pod)}\n`);
  printLabels(w, 'Node-Selectors', spec.nodeSelector);
  printTolerations(w, 'Tolerations', spec.tolerations);
  topologySpread(w, spec.topologySpreadConstraints as Fields[] | undefined, '');
  workloadRef(w, spec, '');
  printEvents(w, events);
}
