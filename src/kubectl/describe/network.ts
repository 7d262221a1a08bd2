// Describers for EndpointSlices, Ingresses (each backend with the endpoints behind it) and IngressClasses.
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { type DescribeContext, type Describer, type Fields, tabbed } from './context.ts';
import { formatEndpointSlices } from './service.ts';
import { printAnnotations, printEvents, printLabels } from './writer.ts';
import { describeError } from '../rest.ts';

export const describeEndpointSlice: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    w.write(0, `AddressType:\t${obj['addressType'] ?? ''}\n`);
    const ports: Fields[] = obj['ports'] ?? [];
    if (ports.length === 0) w.write(0, 'Ports: <unset>\n');
    else {
      w.write(0, 'Ports:\n');
      w.write(1, 'Name\tPort\tProtocol\n');
      w.write(1, '----\t----\t--------\n');
      for (const p of ports) w.write(1, `${p['name'] || '<unset>'}\t${p['port'] ?? '<unset>'}\t${p['protocol'] ?? ''}\n`);
    }
    const endpoints: Fields[] = obj['endpoints'] ?? [];
    if (endpoints.length === 0) w.write(0, 'Endpoints: <none>\n');
    else {
      w.write(0, 'Endpoints:\n');
      for (const e of endpoints) {
        w.write(1, `- Addresses:\t${(e['addresses'] ?? []).join(', ') || '<none>'}\n`);
        w.write(2, 'Conditions:\n');
        const ready = e['conditions']?.ready;
        w.write(3, `Ready:\t${ready === undefined || ready === null ? '<unset>' : String(ready)}\n`);
        w.write(2, `Hostname:\t${e['hostname'] ?? '<unset>'}\n`);
        if (e['targetRef']) w.write(2, `TargetRef:\t${e['targetRef'].kind ?? ''}/${e['targetRef'].name ?? ''}\n`);
        w.write(2, `NodeName:\t${e['nodeName'] ?? '<unset>'}\n`);
        w.write(2, `Zone:\t${e['zone'] ?? '<unset>'}\n`);
      }
    }
    printEvents(w, events);
  });
};

async function backendText(ctx: DescribeContext, ns: string, backend: Fields): Promise<string> {
  const svc = backend['service'];
  if (svc) {
    const port = svc.port ?? {};
    const text = `${svc.name}:${port.number ? port.number : (port.name ?? '')}`;
    const base = `/namespaces/${encodeURIComponent(ns)}`;
    let slices: Fields[];
    let service: Fields;
    try {
      slices = (await ctx.get<Fields>(`/apis/discovery.k8s.io/v1${base}/endpointslices`, { labelSelector: `kubernetes.io/service-name=${svc.name}` }))['items'] ?? [];
      service = await ctx.get<Fields>(`/api/v1${base}/services/${encodeURIComponent(svc.name)}`);
    } catch (err) {
      // client-go's error text is the Status message alone
      const message = (err as { status?: { message?: string } }).status?.message ?? describeError(err);
      return `${text} (<error: ${message}>)`;
    }
    let portName = '';
    for (const sp of service['spec']?.ports ?? []) {
      if (port.number && port.number === sp.port) portName = sp.name ?? '';
      else if (port.name && port.name === sp.name) portName = sp.name ?? '';
    }
    return `${text} (${formatEndpointSlices(slices as EndpointSlice[], portName)})`;
  }
  const r = backend['resource'];
  if (r) return `APIGroup: ${r.apiGroup ?? '<none>'}, Kind: ${r.kind}, Name: ${r.name}`;
  return '';
}

export const describeIngress: Describer = async (ctx, { obj, resource }) => {
  const meta = obj['metadata'] ?? {};
  const spec = obj['spec'] ?? {};
  const ns = meta.namespace ?? '';
  const events = await ctx.eventsFor(obj, resource.kind);
  const defaultBackend = spec.defaultBackend ? await backendText(ctx, ns, spec.defaultBackend) : '<default>';
  const rules: Array<{ host: string; paths: Array<[string, string]> }> = [];
  for (const rule of spec.rules ?? []) {
    if (!rule.http) continue;
    const paths: Array<[string, string]> = [];
    for (const p of rule.http.paths ?? []) paths.push([p.path ?? '', await backendText(ctx, ns, p.backend ?? {})]);
    rules.push({ host: rule.host || '*', paths });
  }
  return tabbed((w) => {
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    printLabels(w, 'Labels', meta.labels);
    w.write(0, `Namespace:\t${ns}\n`);
    const addresses = new Set<string>();
    for (const i of obj['status']?.loadBalancer?.ingress ?? []) {
      if (i.ip) addresses.add(i.ip);
      else if (i.hostname) addresses.add(i.hostname);
    }
    w.write(0, `Address:\t${[...addresses].sort().join(',')}\n`);
    w.write(0, `Ingress Class:\t${spec.ingressClassName ?? '<none>'}\n`);
    w.write(0, `Default backend:\t${defaultBackend}\n`);
    if (spec.tls?.length) {
      w.write(0, 'TLS:\n');
      for (const t of spec.tls) w.write(1, t.secretName ? `${t.secretName} terminates ${(t.hosts ?? []).join(',')}\n` : `SNI routes ${(t.hosts ?? []).join(',')}\n`);
    }
    w.write(0, 'Rules:\n  Host\tPath\tBackends\n');
    w.write(1, '----\t----\t--------\n');
    for (const r of rules) {
      w.write(1, `${r.host}\t\n`);
      for (const [path, backend] of r.paths) w.write(2, `\t${path} \t${backend}\n`);
    }
    if (rules.length === 0) w.write(1, `*\t*\t${defaultBackend}\n`);
    printAnnotations(w, 'Annotations', meta.annotations);
    printEvents(w, events);
  });
};

export const describeIngressClass: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    const spec = obj['spec'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    w.write(0, `Controller:\t${spec.controller ?? ''}\n`);
    if (spec.parameters) {
      w.write(0, 'Parameters:\n');
      if (spec.parameters.apiGroup !== undefined) w.write(1, `APIGroup:\t${spec.parameters.apiGroup}\n`);
      w.write(1, `Kind:\t${spec.parameters.kind ?? ''}\n`);
      w.write(1, `Name:\t${spec.parameters.name ?? ''}\n`);
    }
    printEvents(w, events);
  });
};
