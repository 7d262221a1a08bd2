// kubectl's DescribePodTemplate as `rollout history --revision=N` prints it: written straight through (no column
// alignment, tabs kept), two spaces a level. Fields it does not model (probes, envFrom, unusual volumes…) make the
// command fall back to the real kubectl.
import type { Container, PodTemplateSpec, Toleration, Volume } from 'kubernetes-types/core/v1.d.ts';
import { FallbackSignal } from './flags.ts';

type Fields = Record<string, any>;

const MAX_ANNOTATION_LEN = 140;

function unsupported(what: string): never {
  throw new FallbackSignal(`pod template: ${what}`);
}

class PrefixWriter {
  text = '';
  write(level: number, s: string): void {
    this.text += '  '.repeat(level) + s;
  }
}

function labelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return w.write(0, '<none>\n');
  keys.forEach((k, i) => w.write(0, `${i === 0 ? '' : '\t'}${k}=${labels![k]}\n`));
}

function annotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string>): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations)
    .filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration')
    .sort();
  if (keys.length === 0) return w.write(0, '<none>\n');
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '\t');
    const value = annotations[k]!.replace(/\n$/, '');
    if (value.length + k.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${k}:\n`);
      for (const s of value.split('\n')) w.write(0, `\t  ${s.length > MAX_ANNOTATION_LEN - 2 ? `${s.slice(0, MAX_ANNOTATION_LEN - 2)}...` : s}\n`);
    } else w.write(0, `${k}: ${value}\n`);
  });
}

function ports(c: Container, host: boolean): string {
  return (c.ports ?? []).map((p) => `${host ? (p.hostPort ?? 0) : p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`).join(', ');
}

function containers(w: PrefixWriter, label: string, list: Container[]): void {
  w.write(0, `  ${label}:${list.length === 0 ? ' <none>' : ''}\n`);
  for (const c of list) {
    const any = c as Fields;
    if (c.securityContext?.seccompProfile || c.livenessProbe || c.readinessProbe || c.startupProbe || c.envFrom?.length || c.volumeDevices?.length || any['resizePolicy'] || any['restartPolicy']) {
      unsupported('container fields');
    }
    w.write(1, ` ${c.name}:\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    const p = ports(c, false);
    w.write(2, p.includes(',') ? `Ports:\t${p}\n` : `Port:\t${p || '<none>'}\n`);
    const h = ports(c, true);
    w.write(2, h.includes(',') ? `Host Ports:\t${h}\n` : `Host Port:\t${h || '<none>'}\n`);
    for (const [title, lines] of [['Command', c.command], ['Args', c.args]] as const) {
      if (!lines?.length) continue;
      w.write(2, `${title}:\n`);
      for (const line of lines) for (const s of line.split('\n')) w.write(3, `${s}\n`);
    }
    for (const [title, list] of [['Limits', c.resources?.limits], ['Requests', c.resources?.requests]] as const) {
      const names = Object.keys(list ?? {});
      if (names.length === 0) continue;
      if (names.some((n) => n !== 'cpu' && n !== 'memory')) unsupported('resource names');
      w.write(2, `${title}:\n`);
      for (const n of names.sort()) w.write(3, `${n}:\t${list![n]}\n`);
    }
    w.write(2, `Environment:${c.env?.length ? '' : '\t<none>'}\n`);
    for (const e of c.env ?? []) {
      const from = e.valueFrom;
      if (!from) (e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      else if (from.secretKeyRef) w.write(3, `${e.name}:\t<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name ?? ''}'>\tOptional: ${from.secretKeyRef.optional === true}\n`);
      else if (from.configMapKeyRef) w.write(3, `${e.name}:\t<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name ?? ''}'>\tOptional: ${from.configMapKeyRef.optional === true}\n`);
      else unsupported('env valueFrom');
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

function volumes(w: PrefixWriter, list: Volume[] | undefined): void {
  if (!list?.length) return w.write(0, '  Volumes:\t<none>\n');
  w.write(0, '  Volumes:\n');
  for (const v of list) {
    w.write(1, ` ${v.name}:\n`);
    if (v.configMap) w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`);
    else if (v.secret) w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`);
    else if (v.emptyDir && !v.emptyDir.sizeLimit) w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t<unset>\n`);
    else if (v.hostPath) w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`);
    else unsupported('volume type');
  }
}

function tolerations(w: PrefixWriter, list: Toleration[] | undefined): void {
  w.write(0, '  Tolerations:\t');
  if (!list?.length) return w.write(0, '<none>\n');
  const keys = list.map((t) => t.key ?? '');
  // Go's sort.Slice is not stable: equal keys could come out in another order.
  if (new Set(keys).size !== keys.length) unsupported('tolerations with equal keys');
  [...list]
    .sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : 1))
    .forEach((t, i) => {
      let s = i === 0 ? '' : '\t';
      s += t.key ?? '';
      if (t.value) s += `=${t.value}`;
      if (t.effect) s += `:${t.effect}`;
      if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) s += ` for ${t.tolerationSeconds}s`;
      w.write(0, `${s}\n`);
    });
}

/** `Pod Template:` and what follows, exactly as kubectl's describe package writes it without a tabwriter. */
export function describePodTemplate(template: PodTemplateSpec | undefined): string {
  const w = new PrefixWriter();
  w.write(0, 'Pod Template:\n');
  if (!template) {
    w.write(1, '<unset>');
    return w.text;
  }
  const spec = (template.spec ?? {}) as NonNullable<PodTemplateSpec['spec']> & Fields;
  if (spec.topologySpreadConstraints?.length || spec['schedulingGroup']) unsupported('pod template fields');
  labelsMultiline(w, '  Labels', template.metadata?.labels);
  const annotations = template.metadata?.annotations;
  if (annotations && Object.keys(annotations).length > 0) annotationsMultiline(w, '  Annotations', annotations);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) containers(w, 'Init Containers', spec.initContainers);
  containers(w, 'Containers', spec.containers ?? []);
  volumes(w, spec.volumes);
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  labelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  tolerations(w, spec.tolerations);
  return w.text;
}
