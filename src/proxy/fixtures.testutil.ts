// Services and EndpointSlices for the proxy's unit tests.
import type { Service, ServiceSpec } from 'kubernetes-types/core/v1.d.ts';
import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';

export function service(ns: string, name: string, spec: ServiceSpec, status?: Service['status'], resourceVersion = '1'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name, resourceVersion },
    spec: { type: 'ClusterIP', sessionAffinity: 'None', ...spec },
    ...(status ? { status } : {}),
  };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function slice(
  ns: string,
  svc: string,
  endpoints: readonly EndpointSpec[],
  ports: ReadonlyArray<{ name?: string; port: number; protocol?: string }> = [{ name: 'p80', port: 80 }],
  name = `${svc}-abcde`,
  resourceVersion = '1',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name, resourceVersion, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: endpoints.map((e): Endpoint => {
      const conditions: Endpoint['conditions'] = {};
      if (e.ready !== undefined) conditions.ready = e.ready;
      if (e.serving !== undefined) conditions.serving = e.serving;
      if (e.terminating !== undefined) conditions.terminating = e.terminating;
      return { addresses: [e.ip], conditions, ...(e.node ? { nodeName: e.node } : {}) };
    }),
  };
}
