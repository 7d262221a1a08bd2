// Describers for core/v1 kinds other than workloads and nodes: pods and services (layouts in pod.ts, service.ts),
// service accounts, secrets, config maps, namespaces with their quotas and limit ranges, endpoints, volumes, claims.
import type { Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { type Describer, type Fields, nsPath, tabbed } from './context.ts';
import { describePod, describeVolumeSource } from './pod.ts';
import { describeService } from './service.ts';
import { accessModes, canonical, printClaim, storageClassOf } from './storage-shared.ts';
import { type DescribeWriter, goSortSlice, printAnnotations, printEvents, printLabels, printMultiline, rfc1123z, unsupported } from './writer.ts';
import { age } from '../printers/duration.ts';
import { parseQuantity, quantityFromInt, quantityToString, quantityValue } from '../../apiserver/quantity.ts';

export const describePodObject: Describer = async (ctx, { obj }) => {
  const meta = obj['metadata'] ?? {};
  let events: Fields[] | undefined;
  if (ctx.settings.showEvents) {
    // A pod's reference carries no kind, so events about its containers match too; a mirror pod's UID is its source's.
    const mirror = meta.annotations?.['kubernetes.io/config.mirror'];
    events = await ctx.searchEvents({ kind: '', name: meta.name ?? '', namespace: meta.namespace ?? '', uid: mirror ?? meta.uid ?? '' });
  }
  return tabbed((w) => describePod(w, obj as Pod, events));
};

export const describeServiceObject: Describer = async (ctx, { obj, resource }) => {
  const meta = obj['metadata'] ?? {};
  const slices = await ctx
    .list(`/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(meta.namespace ?? '')}/endpointslices`, { labelSelector: `kubernetes.io/service-name=${meta.name}` })
    .catch((): Fields[] => []);
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => describeService(w, obj as Service, slices as EndpointSlice[], events));
};

function header(w: DescribeWriter, obj: Fields, namespaced = true): void {
  const meta = obj['metadata'] ?? {};
  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  if (namespaced) w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
  printLabels(w, 'Labels', meta.labels);
  printAnnotations(w, 'Annotations', meta.annotations);
}

export const describeServiceAccount: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    header(w, obj);
    const names: string[] = (obj['imagePullSecrets'] ?? []).map((s: Fields) => s['name'] ?? '');
    if (names.length === 0) w.write(0, 'Image pull secrets:\t<none>\n');
    names.forEach((n, i) => w.write(0, `${i === 0 ? 'Image pull secrets:' : '                   '}\t${n}\n`));
    printEvents(w, events);
  });
};

export const describeSecret: Describer = async (_ctx, { obj }) =>
  tabbed((w) => {
    header(w, obj);
    w.write(0, `\nType:\t${obj['type'] ?? ''}\n`);
    w.write(0, '\nData\n====\n');
    const data: Record<string, string> = obj['data'] ?? {};
    for (const k of Object.keys(data).sort()) {
      const bytes = Buffer.from(data[k] ?? '', 'base64');
      if (k === 'token' && obj['type'] === 'kubernetes.io/service-account-token') w.write(0, `${k}:\t${bytes.toString('utf8')}\n`);
      else w.write(0, `${k}:\t${bytes.length} bytes\n`);
    }
  });

export const describeConfigMap: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    header(w, obj);
    w.write(0, '\nData\n====\n');
    const data: Record<string, string> = obj['data'] ?? {};
    for (const k of Object.keys(data).sort()) w.write(0, `${k}:\n----\n${data[k]}\n\n`);
    w.write(0, '\nBinaryData\n====\n');
    const binary: Record<string, string> = obj['binaryData'] ?? {};
    for (const k of Object.keys(binary).sort()) w.write(0, `${k}: ${Buffer.from(binary[k] ?? '', 'base64').length} bytes\n`);
    w.write(0, '\n');
    printEvents(w, events);
  });
};

const QUOTA_SCOPE_HELP: Record<string, string> = {
  Terminating: 'Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.',
  NotTerminating: 'Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.',
  BestEffort: 'Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.',
  NotBestEffort: 'Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.',
};

function limitRangeLines(w: DescribeWriter, spec: Fields, prefix: string): void {
  for (const item of spec['limits'] ?? []) {
    const sources = [item.min, item.max, item.defaultRequest, item.default, item.maxLimitRequestRatio] as Array<Record<string, string> | undefined>;
    const names = new Set(sources.flatMap((s) => Object.keys(s ?? {})));
    // kubectl walks a Go map here: with more than one resource the row order is random.
    if (names.size > 1) unsupported('a limit range item over several resources');
    for (const k of names) {
      const cell = (s: Record<string, string> | undefined) => (s && k in s ? canonical(s[k]) : '-');
      w.write(0, `${prefix}${item.type ?? ''}\t${k}\t${sources.map(cell).join('\t')}\n`);
    }
  }
}

export const describeLimitRange: Describer = async (_ctx, { obj }) =>
  tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
    w.write(0, 'Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n');
    w.write(0, '----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n');
    limitRangeLines(w, obj['spec'] ?? {}, '');
  });

function sortedScopes(quota: Fields): string[] {
  return [...((quota['spec']?.scopes ?? []) as string[])].sort();
}

export const describeResourceQuota: Describer = async (_ctx, { obj }) =>
  tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
    const scopes = sortedScopes(obj);
    if (scopes.length) {
      w.write(0, `Scopes:\t${scopes.join(', ')}\n`);
      for (const s of scopes) if (QUOTA_SCOPE_HELP[s]) w.write(0, ` * ${QUOTA_SCOPE_HELP[s]}\n`);
    }
    w.write(0, 'Resource\tUsed\tHard\n--------\t----\t----\n');
    const hard: Record<string, string> = obj['status']?.hard ?? {};
    const used: Record<string, string> = obj['status']?.used ?? {};
    for (const r of Object.keys(hard).sort()) {
      let usedText = canonical(used[r]);
      const h = parseQuantity(String(hard[r]));
      const u = used[r] === undefined ? quantityFromInt(0) : parseQuantity(String(used[r]));
      // kubectl reprints the used amount in the hard limit's format when the two differ.
      if (u.format !== h.format) usedText = quantityToString(quantityFromInt(quantityValue(u), h.format));
      w.write(0, `${r}\t${usedText}\t${canonical(hard[r])}\n`);
    }
  });

export const describeNamespace: Describer = async (ctx, { obj }) => {
  const name = obj['metadata']?.name ?? '';
  const orNull = (p: Promise<Fields[]>) => p.catch((err: unknown) => (err instanceof Error && (err as { reason?: string }).reason === 'NotFound' ? null : Promise.reject(err)));
  const quotas = await orNull(ctx.list(`${nsPath(name)}/resourcequotas`));
  const limits = await orNull(ctx.list(`${nsPath(name)}/limitranges`));
  return tabbed((w) => {
    w.write(0, `Name:\t${name}\n`);
    printLabels(w, 'Labels', obj['metadata']?.labels);
    printAnnotations(w, 'Annotations', obj['metadata']?.annotations);
    w.write(0, `Status:\t${obj['status']?.phase ?? ''}\n`);
    const conditions: Fields[] = obj['status']?.conditions ?? [];
    if (conditions.length) {
      w.write(0, 'Conditions:\n');
      w.write(1, 'Type\tStatus\tLastTransitionTime\tReason\tMessage\n');
      w.write(1, '----\t------\t------------------\t------\t-------\n');
      for (const c of conditions) w.write(1, `${c['type']}\t${c['status']}\t${rfc1123z(c['lastTransitionTime'])}\t${c['reason'] ?? ''}\t${c['message'] ?? ''}\n`);
    }
    if (quotas) {
      w.write(0, '\n');
      if (quotas.length === 0) w.write(0, 'No resource quota.\n');
      else {
        w.write(0, 'Resource Quotas\n');
        for (const q of goSortSlice(quotas, (x) => x['metadata']?.name ?? '')) {
          w.write(1, `Name:\t${q['metadata']?.name ?? ''}\n`);
          const scopes = sortedScopes(q);
          if (scopes.length) {
            w.write(1, `Scopes:\t${scopes.join(', ')}\n`);
            for (const s of scopes) if (QUOTA_SCOPE_HELP[s]) w.write(1, `* ${QUOTA_SCOPE_HELP[s]}\n`);
          }
          w.write(1, 'Resource\tUsed\tHard\n');
          w.write(1, '--------\t---\t---\n');
          const hard: Record<string, string> = q['status']?.hard ?? {};
          const used: Record<string, string> = q['status']?.used ?? {};
          for (const r of Object.keys(hard).sort()) w.write(1, `${r}\t${canonical(used[r])}\t${canonical(hard[r])}\n`);
        }
      }
    }
    if (limits) {
      w.write(0, '\n');
      if (limits.length === 0) w.write(0, 'No LimitRange resource.\n');
      else {
        w.write(0, 'Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n');
        w.write(0, ' ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n');
        for (const l of limits) limitRangeLines(w, l['spec'] ?? {}, ' ');
      }
    }
  });
};

export const describeEndpoints: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    header(w, obj);
    w.write(0, 'Subsets:\n');
    for (const subset of obj['subsets'] ?? []) {
      const ips = (list: Fields[] | undefined) => (list ?? []).map((a) => a['ip']).join(',') || '<none>';
      w.write(1, `Addresses:\t${ips(subset.addresses)}\n`);
      w.write(1, `NotReadyAddresses:\t${ips(subset.notReadyAddresses)}\n`);
      if (subset.ports?.length) {
        w.write(1, 'Ports:\n');
        w.write(2, 'Name\tPort\tProtocol\n');
        w.write(2, '----\t----\t--------\n');
        for (const p of subset.ports) w.write(2, `${p.name || '<unset>'}\t${p.port}\t${p.protocol ?? ''}\n`);
      }
      w.write(0, '\n');
    }
    printEvents(w, events);
  });
};

function nodeSelectorTerms(w: DescribeWriter, affinity: Fields | undefined): void {
  if (!affinity?.['required']) return w.write(0, 'Node Affinity:\t<none>\n');
  w.write(0, 'Node Affinity:\t\n');
  const terms: Fields[] = affinity['required'].nodeSelectorTerms ?? [];
  if (terms.length === 0) return w.write(1, 'Required Terms:\t<none>\n');
  w.write(1, 'Required Terms:\t\n');
  terms.forEach((term, i) => {
    const reqs: Fields[] = term['matchExpressions'] ?? [];
    if (reqs.length === 0) return w.write(2, `Term ${i}:\t<none>\n`);
    reqs.forEach((r, j) => {
      let expr = `${r['key']} ${String(r['operator'] ?? '').toLowerCase()}`;
      if (r['values']?.length) expr += ` [${r['values'].join(', ')}]`;
      w.write(2, `${j === 0 ? `Term ${i}:` : ''}\t${expr}\n`);
    });
  });
}

export const describePersistentVolume: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    const spec = obj['spec'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    w.write(0, `Finalizers:\t[${(meta.finalizers ?? []).join(' ')}]\n`);
    w.write(0, `StorageClass:\t${storageClassOf(obj)}\n`);
    w.write(0, meta.deletionTimestamp ? `Status:\tTerminating (lasts ${age(meta.deletionTimestamp)})\n` : `Status:\t${obj['status']?.phase ?? ''}\n`);
    w.write(0, `Claim:\t${spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : ''}\n`);
    w.write(0, `Reclaim Policy:\t${spec.persistentVolumeReclaimPolicy ?? ''}\n`);
    w.write(0, `Access Modes:\t${accessModes(spec.accessModes)}\n`);
    if (spec.volumeMode) w.write(0, `VolumeMode:\t${spec.volumeMode}\n`);
    w.write(0, `Capacity:\t${canonical(spec.capacity?.storage)}\n`);
    nodeSelectorTerms(w, spec.nodeAffinity);
    w.write(0, `Message:\t${obj['status']?.message ?? ''}\n`);
    w.write(0, 'Source:\n');
    // Sources a PV shares with pod volumes print alike; the rest (cloud disks, CSI, …) are left to the real kubectl.
    const shared = ['hostPath', 'nfs', 'local'].find((k) => spec[k]);
    if (shared) describeVolumeSource(w, { [shared]: spec[shared] });
    else if (Object.keys(spec).some((k) => !['accessModes', 'capacity', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'nodeAffinity', 'mountOptions', 'volumeAttributesClassName'].includes(k))) unsupported('persistent volume source');
    else w.write(1, '<unknown>\n');
    printEvents(w, events);
  });
};

export const describePersistentVolumeClaim: Describer = async (ctx, { obj, resource }) => {
  const meta = obj['metadata'] ?? {};
  const pods = await ctx.list(`${nsPath(meta.namespace)}/pods`);
  const users: Fields[] = [];
  for (const pod of pods) for (const v of pod['spec']?.volumes ?? []) if (v.persistentVolumeClaim?.claimName === meta.name) users.push(pod);
  for (const owner of meta.ownerReferences ?? []) {
    if (owner.kind !== 'Pod') continue;
    const pod = pods.find((p) => p['metadata']?.uid === owner.uid);
    if (pod && !users.some((u) => u['metadata']?.uid === owner.uid)) users.push(pod);
  }
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    printClaim(w, obj, true, age);
    printMultiline(w, 'Used By', goSortSlice(users, (p) => p['metadata']?.name ?? '').map((p) => p['metadata']?.name ?? ''));
    const conditions: Fields[] = obj['status']?.conditions ?? [];
    if (conditions.length) {
      w.write(0, 'Conditions:\n');
      w.write(1, 'Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n');
      w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
      for (const c of conditions) w.write(1, `${c['type']} \t${c['status']} \t${rfc1123z(c['lastProbeTime'])} \t${rfc1123z(c['lastTransitionTime'])} \t${c['reason'] ?? ''} \t${c['message'] ?? ''}\n`);
    }
    printEvents(w, events);
  });
};
