// `kubectl describe node`: roles, taints, the node's lease, conditions, addresses, capacity, system info, and the
// requests and limits of its non-terminated pods against what it can allocate, as upstream's NodeDescriber.
import { type Describer, type Fields, tabbed } from './context.ts';
import { type DescribeWriter, goSortSlice, printAnnotations, printEvents, printLabels, rfc1123z, unsupported } from './writer.ts';
import { age } from '../printers/duration.ts';
import {
  addQuantities,
  compareQuantities,
  isZeroQuantity,
  parseQuantity,
  type Quantity,
  quantityFromInt,
  quantityMilliValue,
  quantityToString,
  quantityValue,
} from '../../apiserver/quantity.ts';

type ResourceList = Map<string, Quantity>;

function roles(labels: Record<string, string> | undefined): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) out.add(role);
    } else if (k === 'kubernetes.io/role' && v) out.add(v);
  }
  return [...out].sort();
}

function taintString(t: Fields): string {
  if (!t['effect']) return t['value'] ? `${t['key']}=${t['value']}:` : `${t['key']}`;
  return t['value'] ? `${t['key']}=${t['value']}:${t['effect']}` : `${t['key']}:${t['effect']}`;
}

const quantity = (v: unknown): Quantity => parseQuantity(String(v));

function toList(obj: Record<string, string> | undefined): ResourceList {
  return new Map(Object.entries(obj ?? {}).map(([k, v]) => [k, quantity(v)]));
}

function addInto(total: ResourceList, list: ResourceList): void {
  for (const [k, v] of list) total.set(k, total.has(k) ? addQuantities(total.get(k)!, v) : v);
}

function maxInto(total: ResourceList, list: ResourceList): void {
  for (const [k, v] of list) {
    const cur = total.get(k);
    if (!cur || compareQuantities(v, cur) > 0) total.set(k, v);
  }
}

/** kubectl's PodRequestsAndLimits: containers summed, sidecars added, other init containers as a floor, overhead added. */
function podResources(pod: Fields, which: 'requests' | 'limits'): ResourceList {
  const spec = pod['spec'] ?? {};
  const status = pod['status'] ?? {};
  if ([...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])].some((s: Fields) => s['resources'])) unsupported('container status resources');
  const total: ResourceList = new Map();
  for (const c of spec.containers ?? []) addInto(total, toList(c.resources?.[which]));
  const sidecars: ResourceList = new Map();
  const init: ResourceList = new Map();
  for (const c of spec.initContainers ?? []) {
    let own = toList(c.resources?.[which]);
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      own = new Map(sidecars);
    } else {
      const tmp: ResourceList = new Map();
      addInto(tmp, own);
      addInto(tmp, sidecars);
      own = tmp;
    }
    maxInto(init, own);
  }
  maxInto(total, init);
  for (const [k, v] of toList(spec.overhead)) {
    const cur = total.get(k);
    if (which === 'requests') total.set(k, cur ? addQuantities(cur, v) : v);
    else if (cur && !isZeroQuantity(cur)) total.set(k, addQuantities(cur, v));
  }
  return total;
}

const zero = quantityFromInt(0);
const show = (q: Quantity | undefined) => quantityToString(q ?? zero);
const percent = (part: bigint, whole: bigint) => Math.trunc((Number(part) / Number(whole)) * 100);

function nodeResources(w: DescribeWriter, pods: Fields[], node: Fields): void {
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const allocatable = toList(Object.keys(node['status']?.allocatable ?? {}).length ? node['status'].allocatable : node['status']?.capacity);
  const cpu = quantityMilliValue(allocatable.get('cpu') ?? zero);
  const memory = quantityValue(allocatable.get('memory') ?? zero);
  const reqs: ResourceList = new Map();
  const limits: ResourceList = new Map();
  for (const pod of pods) {
    const req = podResources(pod, 'requests');
    const lim = podResources(pod, 'limits');
    addInto(reqs, req);
    addInto(limits, lim);
    // kubectl divides without checking for zero here; Go turns the NaN or infinity into an arbitrary integer.
    if (cpu === 0n || memory === 0n) unsupported('a node without allocatable cpu or memory');
    const m = (l: ResourceList) => quantityMilliValue(l.get('cpu') ?? zero);
    const v = (l: ResourceList) => quantityValue(l.get('memory') ?? zero);
    const meta = pod['metadata'] ?? {};
    w.write(
      1,
      `${meta.namespace}\t${meta.name}\t\t${show(req.get('cpu'))} (${percent(m(req), cpu)}%)\t${show(lim.get('cpu'))} (${percent(m(lim), cpu)}%)\t${show(req.get('memory'))} (${percent(v(req), memory)}%)\t${show(lim.get('memory'))} (${percent(v(lim), memory)}%)\t${age(meta.creationTimestamp)}\n`,
    );
  }
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  const row = (name: string, whole: bigint, value: (q: Quantity) => bigint) => {
    const r = reqs.get(name);
    const l = limits.get(name);
    const pr = whole === 0n ? 0 : percent(value(r ?? zero), whole);
    const pl = whole === 0n ? 0 : percent(value(l ?? zero), whole);
    w.write(1, `${name}\t${show(r)} (${pr}%)\t${show(l)} (${pl}%)\n`);
  };
  row('cpu', cpu, quantityMilliValue);
  row('memory', memory, quantityValue);
  row('ephemeral-storage', quantityValue(allocatable.get('ephemeral-storage') ?? zero), quantityValue);
  const names = [...allocatable.keys()];
  for (const name of names.filter((n) => n.startsWith('hugepages-')).sort()) row(name, quantityValue(allocatable.get(name)!), quantityValue);
  const standard = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
  for (const name of names.filter((n) => !n.startsWith('hugepages-') && !standard.has(n) && !n.startsWith('requests.hugepages-')).sort()) {
    w.write(1, `${name}\t${show(reqs.get(name))}\t${show(limits.get(name))}\n`);
  }
}

function resourceLines(w: DescribeWriter, title: string, list: Record<string, string> | undefined): void {
  const names = Object.keys(list ?? {}).sort();
  if (names.length === 0) return;
  w.write(0, `${title}:\n`);
  for (const n of names) w.write(0, `  ${n}:\t${quantityToString(quantity(list![n]))}\n`);
}

export const describeNode: Describer = async (ctx, { obj, resource }) => {
  const meta = obj['metadata'] ?? {};
  const name: string = meta.name ?? '';
  const pods = await ctx.list('/api/v1/pods', { fieldSelector: `spec.nodeName=${name},status.phase!=Succeeded,status.phase!=Failed` }).catch((err: unknown) => {
    if ((err as { reason?: string }).reason === 'Forbidden') return undefined;
    throw err;
  });
  let events: Fields[] | undefined;
  if (ctx.settings.showEvents) {
    // The node controller reports with the node's UID, the kubelet with its name: kubectl asks for both.
    const ref = { kind: resource.kind, name, namespace: '', uid: meta.uid ?? '' };
    events = [...(await ctx.searchEvents(ref)), ...(await ctx.searchEvents({ ...ref, uid: name }))];
  }
  let lease: Fields | undefined;
  let leaseError = '';
  try {
    lease = await ctx.get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(name)}`);
  } catch (err) {
    leaseError = (err as { status?: { message?: string } }).status?.message ?? (err as Error).message;
  }
  return tabbed((w) => {
    const spec = obj['spec'] ?? {};
    const status = obj['status'] ?? {};
    w.write(0, `Name:\t${name}\n`);
    const r = roles(meta.labels);
    w.write(0, `Roles:\t${r.length ? r.join(',') : '<none>'}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    w.write(0, `CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}\n`);
    const taints: Fields[] = spec.taints ?? [];
    if (taints.length === 0) w.write(0, 'Taints:\t<none>\n');
    goSortSlice(taints, (t) => `${t['effect'] ?? ''},${t['key'] ?? ''}`).forEach((t, i) => w.write(0, `${i === 0 ? 'Taints:' : ''}\t${taintString(t)}\n`));
    w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);
    if (lease) {
      const s = lease['spec'] ?? {};
      w.write(0, 'Lease:\n');
      w.write(1, `HolderIdentity:\t${s.holderIdentity ?? '<unset>'}\n`);
      w.write(1, `AcquireTime:\t${s.acquireTime ? rfc1123z(s.acquireTime) : '<unset>'}\n`);
      w.write(1, `RenewTime:\t${s.renewTime ? rfc1123z(s.renewTime) : '<unset>'}\n`);
    } else w.write(0, `Lease:\tFailed to get lease: ${leaseError}\n`);
    const conditions: Fields[] = status.conditions ?? [];
    if (conditions.length) {
      w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
      w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
      for (const c of conditions) w.write(1, `${c['type']} \t${c['status']} \t${rfc1123z(c['lastHeartbeatTime'])} \t${rfc1123z(c['lastTransitionTime'])} \t${c['reason'] ?? ''} \t${c['message'] ?? ''}\n`);
    }
    w.write(0, 'Addresses:\n');
    for (const a of status.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
    resourceLines(w, 'Capacity', status.capacity);
    resourceLines(w, 'Allocatable', status.allocatable);
    const info = status.nodeInfo ?? {};
    w.write(0, 'System Info:\n');
    for (const [label, key] of [
      ['Machine ID', 'machineID'],
      ['System UUID', 'systemUUID'],
      ['Boot ID', 'bootID'],
      ['Kernel Version', 'kernelVersion'],
      ['OS Image', 'osImage'],
      ['Operating System', 'operatingSystem'],
      ['Architecture', 'architecture'],
      ['Container Runtime Version', 'containerRuntimeVersion'],
      ['Kubelet Version', 'kubeletVersion'],
    ]) {
      w.write(0, `  ${label}:\t${info[key!] ?? ''}\n`);
    }
    w.write(0, `  Kube-Proxy Version:\t${info['kubeProxyVersion'] ?? ''}\n`);
    if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
    if (spec.podCIDRs?.length) w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
    if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);
    if (pods) nodeResources(w, pods, obj);
    else w.write(0, 'Pods:\tnot authorized\n');
    printEvents(w, events);
  });
};
