// `kubectl describe pod`: upstream's PodDescriber layout for the fields pods commonly have; anything else (probes,
// envFrom, resource claims, topology spread, unusual volumes…) is left to the real kubectl.
import type { Container, ContainerState, ContainerStatus, Pod, Toleration, Volume } from 'kubernetes-types/core/v1.d.ts';
import { type DescribeWriter, printAnnotations, printEvents, printLabels, rfc1123z, unsupported } from './writer.ts';

type Fields = Record<string, any>;

function ports(container: Container, host: boolean): string {
  return (container.ports ?? []).map((p) => `${host ? (p.hostPort ?? 0) : p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`).join(', ');
}

function state(w: DescribeWriter, name: string, s: ContainerState | undefined): void {
  if (s?.running) {
    w.write(2, `${name}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(s.running.startedAt)}\n`);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.write(2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if ((t.signal ?? 0) > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else {
    w.write(2, `${name}:\tWaiting\n`);
    if (s?.waiting?.reason) w.write(3, `Reason:\t${s.waiting.reason}\n`);
  }
}

function resources(w: DescribeWriter, r: Container['resources'], level: number): void {
  for (const [title, list] of [['Limits', r?.limits], ['Requests', r?.requests]] as const) {
    const names = Object.keys(list ?? {});
    if (names.length === 0) continue;
    // kubectl sorts resource names; only the common ones are ordered the same way here.
    if (names.some((n) => n !== 'cpu' && n !== 'memory')) unsupported('resource names');
    w.write(level, `${title}:\n`);
    for (const n of names.sort()) w.write(level + 1, `${n}:\t${list![n]}\n`);
  }
}

function containers(w: DescribeWriter, label: string, list: Container[], statuses: ContainerStatus[] | undefined): void {
  w.write(0, `${label}:${list.length === 0 ? ' <none>' : ''}\n`);
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  for (const c of list) {
    const status = byName.get(c.name);
    const any = c as Fields;
    if (c.securityContext?.seccompProfile || c.livenessProbe || c.readinessProbe || c.startupProbe || c.envFrom?.length || c.volumeDevices?.length || any['resizePolicy'] || any['restartPolicy']) {
      unsupported('container fields');
    }
    w.write(1, `${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID ?? ''}\n`);
    const p = ports(c, false);
    w.write(2, p.includes(',') ? `Ports:\t${p}\n` : `Port:\t${p || '<none>'}\n`);
    const h = ports(c, true);
    w.write(2, h.includes(',') ? `Host Ports:\t${h}\n` : `Host Port:\t${h || '<none>'}\n`);
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
    resources(w, c.resources, 2);
    w.write(2, `Environment:${c.env?.length ? '' : '\t<none>'}\n`);
    for (const e of c.env ?? []) {
      const from = e.valueFrom;
      if (!from) {
        (e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      } else if (from.secretKeyRef) {
        w.write(3, `${e.name}:\t<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name ?? ''}'>\tOptional: ${from.secretKeyRef.optional === true}\n`);
      } else if (from.configMapKeyRef) {
        w.write(3, `${e.name}:\t<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name ?? ''}'>\tOptional: ${from.configMapKeyRef.optional === true}\n`);
      } else unsupported('env valueFrom');
    }
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
    w.write(2, `Mounts:${mounts.length ? '' : '\t<none>'}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

function volumes(w: DescribeWriter, list: Volume[] | undefined): void {
  if (!list?.length) return w.write(0, 'Volumes:\t<none>\n');
  w.write(0, 'Volumes:\n');
  for (const v of list) {
    w.write(1, `${v.name}:\n`);
    if (v.projected) {
      w.write(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
      for (const s of v.projected.sources ?? []) {
        if (s.secret) w.write(2, `SecretName:\t${s.secret.name ?? ''}\n    Optional:\t${s.secret.optional === true}\n`);
        else if (s.downwardAPI) w.write(2, 'DownwardAPI:\ttrue\n');
        else if (s.configMap) w.write(2, `ConfigMapName:\t${s.configMap.name ?? ''}\n    Optional:\t${s.configMap.optional === true}\n`);
        else if (s.serviceAccountToken) w.write(2, `TokenExpirationSeconds:\t${s.serviceAccountToken.expirationSeconds}\n`);
      }
    } else if (v.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`);
    } else if (v.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`);
    } else if (v.emptyDir && !v.emptyDir.sizeLimit) {
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t<unset>\n`);
    } else if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type || '<none>'}\n`);
    } else unsupported('volume type');
  }
}

function tolerations(w: DescribeWriter, list: Toleration[] | undefined): void {
  if (!list?.length) return w.write(0, 'Tolerations:\t<none>\n');
  // Go's sort.Slice is not stable; keys that repeat could come out in another order, so leave those to kubectl.
  const keys = list.map((t) => t.key ?? '');
  if (new Set(keys).size !== keys.length) unsupported('tolerations with equal keys');
  const sorted = [...list].sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : 1));
  sorted.forEach((t, i) => {
    let s = i === 0 ? 'Tolerations:\t' : '\t';
    s += t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) s += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${s}\n`);
  });
}

export function describePod(w: DescribeWriter, pod: Pod, events: Fields[] | undefined): void {
  const spec = (pod.spec ?? {}) as NonNullable<Pod['spec']> & Fields;
  const status = (pod.status ?? {}) as NonNullable<Pod['status']> & Fields;
  const meta = pod.metadata ?? {};
  if (meta.deletionTimestamp || spec.securityContext?.seccompProfile || spec.resources || spec.ephemeralContainers?.length || spec.readinessGates?.length || spec.topologySpreadConstraints?.length || spec['schedulingGroup']) {
    unsupported('pod fields');
  }
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
  w.write(0, `Status:\t${status.phase ?? ''}\n`);
  if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(0, `Message:\t${status.message}\n`);
  w.write(0, `IP:\t${status.podIP ?? ''}\n`);
  if (!status.podIPs?.length) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of status.podIPs) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const controller = meta.ownerReferences?.find((o) => o.controller);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
  if (spec.initContainers?.length) containers(w, 'Init Containers', spec.initContainers, status.initContainerStatuses);
  containers(w, 'Containers', spec.containers ?? [], status.containerStatuses);
  if (status.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of status.conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  volumes(w, spec.volumes);
  if (!status.qosClass) unsupported('a pod without status.qosClass');
  w.write(0, `QoS Class:\t${status.qosClass}\n`);
  printLabels(w, 'Node-Selectors', spec.nodeSelector);
  tolerations(w, spec.tolerations);
  printEvents(w, events);
}
