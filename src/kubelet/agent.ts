// The node agent on a real container runtime (kubelet's job): registers this machine as a Node, renews its Lease,
// reports node status, writes the pod network's CNI configuration once the Node has a podCIDR, serves logs, exec,
// attach and port-forward to the API server, and runs the pods bound to it through the ContainerRuntime.
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Lease } from 'kubernetes-types/coordination/v1.d.ts';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, KubeObject } from '../client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.ts';
import { EventRecorder } from '../client/events.ts';
import { InformerFactory } from '../client/factory.ts';
import { NODES, PODS } from '../client/resources.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_BRIDGE, enableForwarding, removeStaleBridge, writeCniConfig } from '../network/cni.ts';
import { ensurePodMasquerade } from '../network/masquerade.ts';
import { BUILTIN_IMAGES } from '../registry/build.ts';
import { EnvironmentBuilder } from './env.ts';
import { DEFAULT_LEASE_DURATION_SECONDS, LEASES, newNodeLease, NODE_LEASE_NAMESPACE, RENEW_INTERVAL_FRACTION, renewedLease } from './lease.ts';
import { buildNode, type NodeConfig } from './node.ts';
import { conditionsChanged, nodeConditions, nodeImages, STATUS_REPORT_FREQUENCY_MS, type NodeHealth } from './nodestatus.ts';
import { PodWorkers } from './pods/workers.ts';
import { ProbeManager } from './prober/manager.ts';
import { DEFAULT_SANDBOX_IMAGE } from './containerd-config.ts';
import { fsUsageOf, ImageGarbageCollector, type ImageGCPolicy } from './image-gc.ts';
import { ContainerLogRotator, type LogRotationPolicy } from './log-rotation.ts';
import type { ContainerRuntime } from './runtime.ts';
import { kubeletPaths, type ProbeListener } from './seams.ts';
import { startKubeletServer } from './server/server.ts';
import { VolumeManager } from './volumes/manager.ts';

const FIELD_MANAGER = 'kubelet';
/** Until the node is Ready, its status is looked at again after 20 ms, doubling up to 250 ms. */
const NOT_READY_FIRST_RECHECK_MS = 20;
const NOT_READY_RECHECK_MS = 250;

/** A promise resolved when `waiters` are woken, rejected when `signal` aborts first. */
function waitOn(waiters: Array<() => void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal?.reason);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    waiters.push(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export interface NodeAgentOptions {
  client: Client;
  runtime: ContainerRuntime;
  /** Name, labels, capacity, addresses and nodeInfo of this node. */
  node: NodeConfig;
  /** Skiff's data dir: the agent's files live in <dataDir>/kubelet. */
  dataDir: string;
  /** The runtime's CNI configuration directory (Skiff's containerd: <dataDir>/containerd/cni/net.d). */
  cniConfDir: string;
  /** The Linux bridge pods attach to (default cni0). */
  bridge?: string;
  clusterDNS: string[];
  clusterDomain: string;
  /** The agent's HTTPS server for the API server (logs, exec, attach, port-forward). */
  server: { host: string; port: number; certPem: string; keyPem: string; clientCAPem: string };
  logger(name: string): Logger;
  leaseDurationSeconds?: number;
  /** How often the runtime is relisted for containers that changed (default 500 ms). */
  relistPeriodMs?: number;
  /** How often node status is checked for changes (kubelet's nodeStatusUpdateFrequency, 10 s). */
  statusUpdateMs?: number;
  /** Container log rotation (CRI runtimes only; default 10Mi and 5 files, as the kubelet). */
  logRotation?: LogRotationPolicy;
  /** Image garbage collection (CRI runtimes only; default 85% / 80%, 2m, as the kubelet). */
  imageGC?: ImageGCPolicy;
}

export class NodeAgent {
  readonly #opts: NodeAgentOptions;
  readonly #log: Logger;
  readonly #name: string;
  #node: Node | undefined;
  #lease: Lease | undefined;
  #registered = false;
  #waiters: Array<() => void> = [];
  #reportedReady = false;
  #readyWaiters: Array<() => void> = [];
  #statusDirty = true;
  #lastStatusWrite = 0;
  #podCIDRs: string[] = [];
  #wakeStatus: (() => void) | undefined;
  #kubeletPort = 0;

  constructor(opts: NodeAgentOptions) {
    this.#opts = opts;
    this.#name = opts.node.name;
    this.#log = opts.logger('kubelet');
  }

  get nodeName(): string {
    return this.#name;
  }

  /** Runs until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const { client, runtime } = this.#opts;
    const paths = kubeletPaths(this.#opts.dataDir);
    enableForwarding();
    const server = await startKubeletServer(
      {
        host: this.#opts.server.host,
        port: this.#opts.server.port,
        tls: { certPem: this.#opts.server.certPem, keyPem: this.#opts.server.keyPem, clientCAPem: this.#opts.server.clientCAPem },
        runtime,
        paths,
        // Logs follow the container the pod's status names (so --previous finds a crash-looping container's last run).
        pods: {
          get: (namespace, name) =>
            client.get(PODS, namespace, name, { signal }).then(
              (p) => p as Pod,
              (err: unknown) => {
                if (isNotFound(err)) return undefined;
                throw err;
              },
            ),
        },
        logger: this.#opts.logger('kubelet-server'),
      },
      signal,
    );
    this.#kubeletPort = server.port;
    await this.#register(signal);

    const factory = new InformerFactory(client, (gvr, err) => this.#log.debug('informer error', { resource: gvr.resource, error: err }));
    const nodes = factory.informer(NODES, { fieldSelector: `metadata.name=${this.#name}` });
    nodes.addEventHandler({ onAdd: (n) => this.#onNode(n as Node), onUpdate: (_o, n) => this.#onNode(n as Node) });
    factory.start(signal);

    const recorder = new EventRecorder(client, { component: 'kubelet', host: this.#name }, { onError: (err) => this.#log.debug('event write failed', { error: err }) });
    const hostIPs = this.#opts.node.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address);
    const environment = new EnvironmentBuilder({
      client,
      nodeName: this.#name,
      hostIPs,
      allocatable: this.#opts.node.allocatable ?? this.#opts.node.capacity,
      onWarning: (pod, reason, message) => recorder.event(pod as KubeObject, 'Warning', reason, message),
      logger: this.#opts.logger('env'),
    });
    const volumes = new VolumeManager({
      client,
      paths,
      nodeName: this.#name,
      clusterDomain: this.#opts.clusterDomain,
      environment,
      allocatable: this.#opts.node.allocatable ?? this.#opts.node.capacity,
      logger: this.#opts.logger('volumes'),
    });
    // Probes report to the pod workers, which are built with the probes: tie the knot through a reference.
    const probeTarget: { workers?: PodWorkers } = {};
    const listener: ProbeListener = {
      unhealthy: (...args) => probeTarget.workers?.unhealthy(...args),
      changed: (uid) => probeTarget.workers?.changed(uid),
    };
    const probes = new ProbeManager({ runtime, listener, recorder, nodeName: this.#name, logger: this.#opts.logger('prober') });
    const workers = new PodWorkers({
      client,
      nodeName: this.#name,
      runtime,
      paths,
      volumes,
      environment,
      probes,
      recorder,
      clusterDNS: this.#opts.clusterDNS,
      clusterDomain: this.#opts.clusterDomain,
      hostIPs,
      logger: this.#opts.logger('pods'),
      // containerd 1.6 has no CRI event stream: a container that dies is seen at the next relist.
      relistPeriodMs: this.#opts.relistPeriodMs ?? 500,
    });
    probeTarget.workers = workers;

    const stopProbes = () => probes.stop();
    signal.addEventListener('abort', stopProbes, { once: true });
    try {
      await Promise.all([
        this.#leaseLoop(signal),
        this.#statusLoop(signal),
        volumes.start(signal),
        environment.start(signal),
        workers.start(signal),
        // Containers of a CRI runtime write log files that grow until rotated; simulated ones write none.
        runtime.name === 'cri' ? new ContainerLogRotator({ runtime, ...(this.#opts.logRotation ? { policy: this.#opts.logRotation } : {}), logger: this.#opts.logger('logs') }).run(signal) : undefined,
        runtime.name === 'cri' ? this.#imageGC(runtime).run(signal) : undefined,
        factory.stopped(),
        server.closed,
      ]);
    } finally {
      signal.removeEventListener('abort', stopProbes);
      await recorder.flush?.();
    }
  }

  /**
   * Removes unused images when the runtime's image filesystem fills up. Never the sandbox image, nor the images Skiff
   * builds offline (nginx, busybox): with no registry to pull them from again, the quick start would break until restart.
   */
  #imageGC(runtime: ContainerRuntime): ImageGarbageCollector {
    const fsUsage = async () => {
      const mountpoint = await runtime.imageFilesystem();
      return mountpoint ? fsUsageOf(mountpoint) : undefined;
    };
    const policy = this.#opts.imageGC ? { policy: this.#opts.imageGC } : {};
    return new ImageGarbageCollector({ runtime, fsUsage, pinned: [DEFAULT_SANDBOX_IMAGE, ...Object.values(BUILTIN_IMAGES)], ...policy, logger: this.#opts.logger('images') });
  }

  /** Resolves once the Node exists. */
  waitForRegistration(signal?: AbortSignal): Promise<void> {
    return this.#registered ? Promise.resolve() : waitOn(this.#waiters, signal);
  }

  /** Resolves once this agent has reported the Node Ready. */
  waitForReady(signal?: AbortSignal): Promise<void> {
    return this.#reportedReady ? Promise.resolve() : waitOn(this.#readyWaiters, signal);
  }

  #nodeObject(): Node {
    const node = buildNode(this.#opts.node);
    node.status!.daemonEndpoints = { kubeletEndpoint: { Port: this.#kubeletPort } };
    return node;
  }

  /** Creates the Node, or (after a restart) brings its labels and reported resources up to date, retrying until the API answers. */
  async #register(signal: AbortSignal): Promise<void> {
    const { client } = this.#opts;
    for (let delay = 200; ; delay = Math.min(delay * 2, 7000)) {
      signal.throwIfAborted();
      try {
        const node = this.#nodeObject();
        try {
          this.#node = (await client.create(NODES, '', node as KubeObject, { fieldManager: FIELD_MANAGER, signal })) as Node;
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          await client.patch(NODES, '', this.#name, 'merge', { metadata: { labels: node.metadata?.labels ?? {} } }, { fieldManager: FIELD_MANAGER, signal });
          const { capacity, allocatable, addresses, nodeInfo, daemonEndpoints } = node.status ?? {};
          this.#node = (await client.patch(NODES, '', this.#name, 'merge', { status: { capacity, allocatable, addresses, nodeInfo, daemonEndpoints } }, { subresource: 'status', fieldManager: FIELD_MANAGER, signal })) as Node;
        }
        break;
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        this.#log.warn('registering the node failed; retrying', { node: this.#name, error: err });
        await sleep(delay, undefined, { signal });
      }
    }
    this.#onNode(this.#node!);
    this.#registered = true;
    for (const wake of this.#waiters.splice(0)) wake();
    this.#log.info('node registered', { node: this.#name });
  }

  #onNode(node: Node): void {
    this.#node = node;
    const cidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
    if (cidrs.join(',') === this.#podCIDRs.join(',')) return;
    this.#podCIDRs = cidrs;
    if (!cidrs.length) return;
    const bridge = this.#opts.bridge ?? DEFAULT_BRIDGE;
    try {
      const stale = removeStaleBridge(bridge, cidrs);
      if (stale) this.#log.error('the pod network cannot start', { reason: stale });
      const changed = writeCniConfig(this.#opts.cniConfDir, { podCIDRs: cidrs, bridge, ipamDataDir: path.join(this.#opts.dataDir, 'cni', 'networks') });
      if (changed) this.#log.info('pod network configured', { podCIDRs: cidrs });
    } catch (err) {
      this.#log.error('writing the CNI configuration failed', { podCIDRs: cidrs, error: err });
    }
    ensurePodMasquerade(cidrs, bridge).catch((err: unknown) => this.#log.warn('pods cannot reach beyond the node', { error: err }));
    // containerd notices the new configuration within a moment; report Ready as soon as it does.
    this.#statusDirty = true;
    this.#wakeStatus?.();
  }

  async #health(signal: AbortSignal): Promise<NodeHealth> {
    try {
      return { runtime: await this.#opts.runtime.status(signal) };
    } catch (err) {
      return { runtime: undefined, runtimeError: err instanceof Error ? err.message : String(err) };
    }
  }

  async #statusLoop(signal: AbortSignal): Promise<void> {
    const period = this.#opts.statusUpdateMs ?? 10_000;
    let notReadyDelay = NOT_READY_FIRST_RECHECK_MS;
    while (!signal.aborted) {
      try {
        await this.#updateStatus(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#log.debug('node status update failed', { error: err });
      }
      // Until Ready, look again soon (and sooner at first): the network becomes ready moments after the CNI
      // configuration is written, when containerd has read it.
      const ready = this.#node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      const delay = ready ? period : Math.min(period, notReadyDelay);
      notReadyDelay = ready ? NOT_READY_FIRST_RECHECK_MS : Math.min(notReadyDelay * 2, NOT_READY_RECHECK_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        this.#wakeStatus = done;
        signal.addEventListener('abort', done, { once: true });
      });
      // Woken by a change (e.g. the pod network configured): start the quick rechecks over.
      if (this.#statusDirty) notReadyDelay = NOT_READY_FIRST_RECHECK_MS;
    }
  }

  async #updateStatus(signal: AbortSignal): Promise<void> {
    const { client, runtime } = this.#opts;
    const health = await this.#health(signal);
    const images = health.runtime ? nodeImages(await runtime.listImages(signal).catch(() => [])) : (this.#node?.status?.images ?? []);
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = this.#node ?? ((await client.get(NODES, '', this.#name, { signal })) as Node);
      const conditions = nodeConditions(current.status?.conditions, health, new Date());
      const imagesChanged = JSON.stringify(images) !== JSON.stringify(current.status?.images ?? []);
      const due = Date.now() - this.#lastStatusWrite >= STATUS_REPORT_FREQUENCY_MS;
      if (!this.#statusDirty && !due && !imagesChanged && !conditionsChanged(current.status?.conditions, conditions)) return;
      const next: Node = { ...current, status: { ...current.status, conditions, images, daemonEndpoints: { kubeletEndpoint: { Port: this.#kubeletPort } } } };
      try {
        this.#node = (await client.updateStatus(NODES, '', next as KubeObject, { fieldManager: FIELD_MANAGER, signal })) as Node;
        this.#statusDirty = false;
        this.#lastStatusWrite = Date.now();
        if (!this.#reportedReady && conditions.some((c) => c.type === 'Ready' && c.status === 'True')) {
          this.#reportedReady = true;
          for (const wake of this.#readyWaiters.splice(0)) wake();
        }
        return;
      } catch (err) {
        if (isNotFound(err)) {
          // Deleted under us: register again, as kubelet does on restart.
          this.#node = undefined;
          await this.#register(signal);
          continue;
        }
        if (!isConflict(err)) throw err;
        this.#node = (await client.get(NODES, '', this.#name, { signal })) as Node;
      }
    }
  }

  async #leaseLoop(signal: AbortSignal): Promise<void> {
    const seconds = this.#opts.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
    const every = seconds * 1000 * RENEW_INTERVAL_FRACTION;
    while (!signal.aborted) {
      try {
        await this.#renewLease(seconds, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#lease = undefined;
        this.#log.debug('lease renewal failed', { error: err });
      }
      // kubelet jitters each renewal by up to 4%.
      await sleep(every * (1 + Math.random() * 0.04), undefined, { signal }).catch(() => {});
    }
  }

  async #renewLease(seconds: number, signal: AbortSignal): Promise<void> {
    const { client } = this.#opts;
    const uid = this.#node?.metadata?.uid;
    const now = new Date();
    if (this.#lease) {
      try {
        this.#lease = (await client.update(LEASES, NODE_LEASE_NAMESPACE, renewedLease(this.#lease, this.#name, uid, seconds, now) as KubeObject, { signal })) as Lease;
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    try {
      const found = (await client.get(LEASES, NODE_LEASE_NAMESPACE, this.#name, { signal })) as Lease;
      this.#lease = (await client.update(LEASES, NODE_LEASE_NAMESPACE, renewedLease(found, this.#name, uid, seconds, now) as KubeObject, { signal })) as Lease;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#lease = (await client.create(LEASES, NODE_LEASE_NAMESPACE, newNodeLease(this.#name, uid, seconds, now) as KubeObject, { signal })) as Lease;
    }
  }
}
