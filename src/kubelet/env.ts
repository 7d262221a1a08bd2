// A container's environment as kubelet builds it (upstream's makeEnvironmentVariables): envFrom, then env with
// $(VAR) expansion and the downward API, then the Docker-link style variables of the services the pod may see.
import type { ConfigMap, Container, EnvVar, Pod, Secret, Service } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { Informer } from '../client/informer.ts';
import { CONFIGMAPS, SERVICES } from '../client/resources.ts';
import { isRelaxedEnvVarName } from '../api/validation.ts';
import { silentLogger, type Logger } from '../log.ts';
import { hostCapacity } from './node.ts';
import type { KeyValue } from './runtime.ts';
import { ContainerConfigError, type ContainerEnvironment } from './seams.ts';
import { checkPodFieldSelector, containerResourceValue, extractPodMetadataField, resourceValueByContainerName, withNodeLimits, type ResourceList } from './volumes/fieldpath.ts';
import { getObject } from './volumes/objects.ts';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

// --- $(VAR) expansion (upstream's third_party/forked/golang/expansion) ---

/** Resolves a name; returns `$(name)` unchanged when unknown. */
export type Mapping = (name: string) => string;

/** Looks a name up in each map in turn; an unknown name stays as written, `$(name)`. */
export function mappingFor(...maps: ReadonlyArray<ReadonlyMap<string, string>>): Mapping {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

/**
 * Replaces `$(VAR)` with its value: `$$` is a literal `$`, an unclosed `$(` and a `$` before anything else are
 * kept as written.
 */
export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1]!;
    let advance = 1;
    if (next === '$') {
      out += '$';
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close < 0) {
        out += '$(';
      } else {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      }
    } else {
      out += `$${next}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** A subPathExpr expanded from the container's environment; every variable must have a non-empty value. */
export function expandSubPathExpr(expr: string, env: readonly KeyValue[]): string {
  const values = new Map(env.map((kv) => [kv.key, kv.value]));
  const missing = new Set<string>();
  const out = expand(expr, (name) => {
    const v = values.get(name);
    if (!v) missing.add(name);
    return v ?? '';
  });
  if (missing.size) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}

// --- service links (upstream's pkg/kubelet/envvars) ---

function envName(s: string): string {
  return s.replace(/-/g, '_').toUpperCase();
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function hasClusterIP(service: Service): boolean {
  const ip = service.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** The variables that tell a container where each service is, in upstream's order per service. */
export function serviceEnvVars(services: readonly Service[]): KeyValue[] {
  const out: KeyValue[] = [];
  for (const service of services) {
    const ports = service.spec?.ports ?? [];
    if (!hasClusterIP(service) || !ports.length) continue;
    const ip = service.spec!.clusterIP!;
    const prefix = envName(service.metadata?.name ?? '');
    out.push({ key: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ key: `${prefix}_SERVICE_PORT`, value: String(ports[0]!.port) });
    for (const p of ports) if (p.name) out.push({ key: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const protocol = (p.protocol || 'TCP').toLowerCase();
      const url = `${protocol}://${hostPort(ip, p.port)}`;
      if (i === 0) out.push({ key: `${prefix}_PORT`, value: url });
      const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      out.push({ key: portPrefix, value: url });
      out.push({ key: `${portPrefix}_PROTO`, value: protocol });
      out.push({ key: `${portPrefix}_PORT`, value: String(p.port) });
      out.push({ key: `${portPrefix}_ADDR`, value: ip });
    });
  }
  return out;
}

/** The master services every pod sees, even without service links. */
const MASTER_SERVICES = new Set(['kubernetes']);

/**
 * The services a pod in `namespace` sees: its namespace's (with service links) and `kubernetes` from the master
 * namespace, a same-named service of the pod's namespace winning; sorted by name.
 */
export function servicesForPod(all: readonly Service[], namespace: string, enableServiceLinks: boolean, masterNamespace = 'default'): Service[] {
  const byName = new Map<string, Service>();
  for (const s of all) {
    if (!hasClusterIP(s)) continue;
    const name = s.metadata?.name ?? '';
    const ns = s.metadata?.namespace ?? '';
    if (ns === masterNamespace && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, s);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(name, s);
    }
  }
  return [...byName.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

// --- the builder ---

/** Where ConfigMaps and Secrets are read from (default: the API server, one GET each per container start). */
export interface ObjectReader {
  configMap(namespace: string, name: string): Promise<ConfigMap>;
  secret(namespace: string, name: string): Promise<Secret>;
}

export interface EnvironmentBuilderOptions {
  client: Client;
  nodeName: string;
  /** The node's IPs, for status.hostIP(s). */
  hostIPs: readonly string[];
  /** The services known to the node; default: the builder's own informer once start() runs, else a LIST per call. */
  serviceLister?: () => readonly Service[];
  /** Used when a pod leaves spec.enableServiceLinks unset (the API server defaults it to true). */
  enableServiceLinks?: boolean;
  /** Where the `kubernetes` service lives; default 'default'. */
  masterServiceNamespace?: string;
  /** Node allocatable, standing in for unset limits in resourceFieldRef; default: this machine's capacity. */
  allocatable?: ResourceList;
  objects?: ObjectReader;
  /** A warning worth an event on the pod (reason InvalidEnvironmentVariableNames). */
  onWarning?(pod: Pod, reason: string, message: string): void;
  logger?: Logger;
}

const SERVICE_SYNC_WAIT_MS = 10_000;

export class EnvironmentBuilder implements ContainerEnvironment {
  readonly #opts: EnvironmentBuilderOptions;
  readonly #objects: ObjectReader;
  readonly #log: Logger;
  #services: Informer<KubeObject> | undefined;
  #allocatable: ResourceList | undefined;

  constructor(opts: EnvironmentBuilderOptions) {
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger();
    const { client } = opts;
    this.#objects = opts.objects ?? {
      configMap: (ns, name) => getObject<ConfigMap>(client, CONFIGMAPS, 'configmap', ns, name),
      secret: (ns, name) => getObject<Secret>(client, SECRETS, 'secret', ns, name),
    };
  }

  /** Watches services for the service-link variables until `signal` aborts (optional; without it each call lists). */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#opts.serviceLister || this.#services) return;
    const informer = new Informer<KubeObject>(this.#opts.client, SERVICES, { onError: (err) => this.#log.debug('service watch failed', { error: err }) });
    this.#services = informer;
    await informer.start(signal);
  }

  async env(pod: Pod, container: Container, podIPs: readonly string[]): Promise<KeyValue[]> {
    try {
      return await this.#build(pod, container, podIPs);
    } catch (err) {
      if (err instanceof ContainerConfigError) throw err;
      throw new ContainerConfigError(err instanceof Error ? err.message : String(err), { cause: err });
    }
  }

  async #build(pod: Pod, container: Container, podIPs: readonly string[]): Promise<KeyValue[]> {
    const namespace = pod.metadata?.namespace ?? '';
    const links = pod.spec?.enableServiceLinks ?? this.#opts.enableServiceLinks ?? true;
    const serviceEnv = new Map(serviceEnvVars(await this.#servicesFor(namespace, links)).map((kv) => [kv.key, kv.value]));

    const configMaps = new Map<string, ConfigMap>();
    const secrets = new Map<string, Secret>();
    const configMap = async (name: string, optional: boolean) => {
      const known = configMaps.get(name);
      if (known) return known;
      try {
        const cm = await this.#objects.configMap(namespace, name);
        configMaps.set(name, cm);
        return cm;
      } catch (err) {
        if (optional && (err as Error).name === 'ObjectNotFoundError') return undefined;
        throw err;
      }
    };
    const secret = async (name: string, optional: boolean) => {
      const known = secrets.get(name);
      if (known) return known;
      try {
        const s = await this.#objects.secret(namespace, name);
        secrets.set(name, s);
        return s;
      } catch (err) {
        if (optional && (err as Error).name === 'ObjectNotFoundError') return undefined;
        throw err;
      }
    };

    // Declaration order; a later source overrides an earlier one's value in place.
    const vars = new Map<string, string>();
    for (const from of container.envFrom ?? []) {
      const prefix = from.prefix ?? '';
      let source: { kind: string; name: string; data: Array<[string, string]> } | undefined;
      if (from.configMapRef) {
        const cm = await configMap(from.configMapRef.name ?? '', !!from.configMapRef.optional);
        if (cm) source = { kind: 'configMap', name: from.configMapRef.name ?? '', data: Object.entries(cm.data ?? {}) };
      } else if (from.secretRef) {
        const s = await secret(from.secretRef.name ?? '', !!from.secretRef.optional);
        if (s) source = { kind: 'secret', name: from.secretRef.name ?? '', data: Object.entries(s.data ?? {}).map(([k, v]) => [k, decode(v)]) };
      }
      if (!source) continue;
      const invalid: string[] = [];
      for (const [key, value] of source.data) {
        const name = prefix + key;
        if (isRelaxedEnvVarName(name).length) invalid.push(name);
        else vars.set(name, value);
      }
      if (invalid.length) {
        this.#opts.onWarning?.(
          pod,
          'InvalidEnvironmentVariableNames',
          `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${source.kind} ${namespace}/${source.name} were skipped since they are considered invalid environment variable names.`,
        );
      }
    }

    const mapping = mappingFor(vars, serviceEnv);
    for (const v of container.env ?? []) {
      const value = await this.#value(v, pod, container, podIPs, mapping, configMap, secret);
      if (value !== undefined) vars.set(v.name, value);
    }

    const out: KeyValue[] = [...vars].map(([key, value]) => ({ key, value }));
    for (const [key, value] of serviceEnv) if (!vars.has(key)) out.push({ key, value });
    return out;
  }

  /** One env entry's value; undefined when an optional source is missing (the variable is left out). */
  async #value(
    v: EnvVar,
    pod: Pod,
    container: Container,
    podIPs: readonly string[],
    mapping: Mapping,
    configMap: (name: string, optional: boolean) => Promise<ConfigMap | undefined>,
    secret: (name: string, optional: boolean) => Promise<Secret | undefined>,
  ): Promise<string | undefined> {
    const namespace = pod.metadata?.namespace ?? '';
    if (v.value) return expand(v.value, mapping);
    const from = v.valueFrom;
    if (!from) return '';
    if (from.fieldRef) return this.#podField(pod, checkPodFieldSelector(from.fieldRef), podIPs);
    if (from.resourceFieldRef) {
      const allocatable = this.#nodeAllocatable();
      const ref = from.resourceFieldRef;
      return ref.containerName ? resourceValueByContainerName(ref, pod, allocatable) : containerResourceValue(ref, withNodeLimits(container, allocatable));
    }
    if (from.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const cm = await configMap(name, !!optional);
      if (!cm) return undefined;
      const value = cm.data?.[key];
      if (value !== undefined) return value;
      if (optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
    }
    if (from.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const s = await secret(name, !!optional);
      if (!s) return undefined;
      const value = s.data?.[key];
      if (value !== undefined) return decode(value);
      if (optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
    }
    return '';
  }

  #podField(pod: Pod, fieldPath: string, podIPs: readonly string[]): string {
    const ips = sortByFamily(podIPs, this.#opts.hostIPs[0]);
    switch (fieldPath) {
      case 'spec.nodeName':
        return pod.spec?.nodeName ?? '';
      case 'spec.serviceAccountName':
        return pod.spec?.serviceAccountName ?? '';
      case 'status.hostIP':
        return this.#opts.hostIPs[0] ?? '';
      case 'status.hostIPs':
        return this.#opts.hostIPs.join(',');
      case 'status.podIP':
        return ips[0] ?? '';
      case 'status.podIPs':
        return ips.join(',');
    }
    return extractPodMetadataField(pod, fieldPath);
  }

  #nodeAllocatable(): ResourceList {
    this.#allocatable ??= this.#opts.allocatable ?? hostCapacity();
    return this.#allocatable;
  }

  async #servicesFor(namespace: string, links: boolean): Promise<Service[]> {
    const master = this.#opts.masterServiceNamespace ?? 'default';
    if (this.#opts.serviceLister) return servicesForPod(this.#opts.serviceLister(), namespace, links, master);
    if (this.#services) {
      if (!this.#services.hasSynced()) {
        try {
          await this.#services.waitForSync(AbortSignal.timeout(SERVICE_SYNC_WAIT_MS));
        } catch {
          throw new ContainerConfigError('services have not yet been read at least once, cannot construct envvars');
        }
      }
      return servicesForPod(this.#services.lister.list() as Service[], namespace, links, master);
    }
    // Not started: read only what this pod can see.
    const { client } = this.#opts;
    const found: Service[] = [];
    if (links) found.push(...((await client.list(SERVICES, namespace)).items as Service[]));
    if (namespace !== master || !links) {
      for (const name of MASTER_SERVICES) {
        try {
          found.push((await client.get(SERVICES, master, name)) as Service);
        } catch (err) {
          if ((err as Error).name !== 'ApiError' || (err as { code?: number }).code !== 404) throw err;
        }
      }
    }
    return servicesForPod(found, namespace, links, master);
  }
}

function decode(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

/** Pod IPs with the node's IP family first (kubelet's sortPodIPs). */
function sortByFamily(ips: readonly string[], hostIP: string | undefined): string[] {
  const v6 = (ip: string) => ip.includes(':');
  const preferV6 = hostIP ? v6(hostIP) : false;
  return [...ips].sort((a, b) => Number(v6(a) !== preferV6) - Number(v6(b) !== preferV6));
}
