// What both proxy backends keep between syncs: every Service with its EndpointSlices, and which Services changed since
// the last sync (upstream's ServiceChangeTracker and EndpointsChangeTracker in one).
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { localReadyEndpointCount, serviceEndpoints, serviceHealthCheckNodePort, servicePorts, sliceServiceKey, type EndpointInfo, type ServicePortInfo } from './model.ts';

/** A Service a load balancer health-checks on this node (type LoadBalancer, externalTrafficPolicy Local). */
export interface ServiceHealthCheck {
  /** "namespace/name" */
  serviceKey: string;
  /** spec.healthCheckNodePort */
  port: number;
  /** Ready endpoints on this node, by address. */
  localEndpoints: number;
}

export interface ServiceInputs {
  ports: ServicePortInfo[];
  endpoints: Map<string, EndpointInfo[]>;
}

interface ServiceState {
  svc?: Service;
  slices: Map<string, EndpointSlice>;
}

const serviceKey = (svc: Service) => `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;

export class ServiceTracker {
  readonly #services = new Map<string, ServiceState>();
  readonly #changed = new Set<string>();
  /** Services with a health check node port, and the port. */
  readonly #healthChecked = new Map<string, number>();

  get hasChanges(): boolean {
    return this.#changed.size > 0;
  }

  updateService(svc: Service): void {
    const key = serviceKey(svc);
    const state = this.#state(key);
    const before = state.svc?.metadata?.resourceVersion;
    if (before !== undefined && before === svc.metadata?.resourceVersion) return;
    state.svc = svc;
    this.#changed.add(key);
    const port = serviceHealthCheckNodePort(svc);
    if (port) this.#healthChecked.set(key, port);
    else this.#healthChecked.delete(key);
  }

  deleteService(svc: Service): void {
    const key = serviceKey(svc);
    const state = this.#services.get(key);
    if (!state?.svc) return;
    delete state.svc;
    this.#changed.add(key);
    this.#healthChecked.delete(key);
  }

  updateEndpointSlice(slice: EndpointSlice): void {
    const key = sliceServiceKey(slice);
    const name = slice.metadata?.name;
    if (!key || !name) return;
    const state = this.#state(key);
    const before = state.slices.get(name)?.metadata?.resourceVersion;
    if (before !== undefined && before === slice.metadata?.resourceVersion) return;
    state.slices.set(name, slice);
    this.#changed.add(key);
  }

  deleteEndpointSlice(slice: EndpointSlice): void {
    const key = sliceServiceKey(slice);
    const name = slice.metadata?.name;
    if (!key || !name) return;
    if (this.#services.get(key)?.slices.delete(name)) this.#changed.add(key);
  }

  /** Counts every Service as changed (what decides every Service's rules changed, such as this node's zone). */
  markAllChanged(): void {
    for (const key of this.#services.keys()) this.#changed.add(key);
  }

  /** The Services changed since the last call. */
  takeChanged(): string[] {
    const changed = [...this.#changed];
    this.#changed.clear();
    return changed;
  }

  /** A Service's ports and its endpoints as `nodeName` sees them; none once the Service is gone. */
  inputs(key: string, nodeName: string): ServiceInputs {
    const state = this.#services.get(key);
    if (!state?.svc) return { ports: [], endpoints: new Map() };
    return { ports: servicePorts(state.svc), endpoints: serviceEndpoints(key, state.slices.values(), nodeName) };
  }

  /** The Services load balancers health-check on `nodeName`, with its ready endpoints (as they are now). */
  healthChecks(nodeName: string): ServiceHealthCheck[] {
    return [...this.#healthChecked].map(([serviceKey, port]) => ({
      serviceKey,
      port,
      localEndpoints: localReadyEndpointCount(this.#services.get(serviceKey)?.slices.values() ?? [], nodeName),
    }));
  }

  /** Forgets a Service that has neither its object nor any slice left. */
  prune(key: string): void {
    const state = this.#services.get(key);
    if (state && !state.svc && state.slices.size === 0) this.#services.delete(key);
  }

  #state(key: string): ServiceState {
    let state = this.#services.get(key);
    if (!state) this.#services.set(key, (state = { slices: new Map() }));
    return state;
  }
}
