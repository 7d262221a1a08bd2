// The node agent's pod workers: the pods bound to this node (one informer, fieldSelector spec.nodeName), each synced by
// its own serialized worker (updates that arrive meanwhile coalesce into one more sync), and a PLEG that relists the
// runtime's sandboxes and containers every relistPeriodMs so that a container that dies, however it dies, is seen
// and handled within about that long. Containers of pods the API no longer has are cleaned up too.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Client } from '../../client/client.ts';
import type { EventRecorder } from '../../client/events.ts';
import { Informer } from '../../client/informer.ts';
import { PODS } from '../../client/resources.ts';
import { abortableSleep } from '../../client/sleep.ts';
import type { Logger } from '../../log.ts';
import type { ContainerRuntime } from '../runtime.ts';
import { CRI_LABELS, type ContainerEnvironment, type ContainerProbes, type KubeletPaths, type PodVolumes, type ProbeListener } from '../seams.ts';
import { parseResolvConf, type HostDNS } from './dns.ts';
import { podFullName } from './format.ts';
import { ImageManager } from './images.ts';
import { newPodRecord, orphanPod, PodSyncer, type PodRecord } from './pod-sync.ts';
import { canonicalJSON, StatusManager } from './status-manager.ts';

export interface PodWorkersOptions {
  client: Client;
  nodeName: string;
  runtime: ContainerRuntime;
  /** Sandbox logDirectory = paths.podLogDir(ns, name, uid); container logPath = containerLogPath(name, restartCount). */
  paths: KubeletPaths;
  volumes: PodVolumes;
  environment: ContainerEnvironment;
  probes: ContainerProbes;
  /** Component 'kubelet', host = nodeName: events go on the Pod. */
  recorder: EventRecorder;
  /** e.g. ['10.96.0.10'] */
  clusterDNS: string[];
  /** 'cluster.local' */
  clusterDomain: string;
  /** The node's InternalIPs, for status.hostIP(s). */
  hostIPs: string[];
  logger: Logger;
  /** How often the runtime's containers are relisted (PLEG); default 1000 ms. */
  relistPeriodMs?: number;
  /** How often every pod is synced even when nothing happened, refreshing its volumes; default 60 s. */
  resyncPeriodMs?: number;
  /** The host's resolver configuration for dnsPolicy Default; default /etc/resolv.conf. */
  resolvConf?: string;
  /** For OOM score adjustments of Burstable containers; default the host's memory. */
  memoryCapacityBytes?: number;
  now?: () => number;
}

interface Worker {
  rec: PodRecord;
  running: boolean;
  pending: boolean;
  /** Aborts the sync under way when the pod is deleted meanwhile (a long image pull must not hold up its termination). */
  cancelSync: AbortController | undefined;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  errors: number;
}

/** Changes that make a pod worth syncing again (its status alone, often our own write, is not one). */
function syncRelevant(pod: Pod): string {
  const m = pod.metadata ?? {};
  return canonicalJSON([m.deletionTimestamp, m.deletionGracePeriodSeconds, m.labels, m.annotations, pod.spec, pod.status?.phase]);
}

/** Why a sync under way was cut short: the pod is to be stopped. */
class PodTerminationRequested extends Error {
  override name = 'PodTerminationRequested';
}

export class PodWorkers implements ProbeListener {
  readonly #opts: PodWorkersOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #syncer: PodSyncer;
  readonly #statuses: StatusManager;
  readonly #workers = new Map<string, Worker>();
  readonly #loops = new Set<Promise<void>>();
  /** uid → what the last relist saw of the pod's sandboxes and containers. */
  #relisted = new Map<string, string>();
  #signal: AbortSignal | undefined;
  #runtimeName = '';
  #relistFailing = false;

  constructor(opts: PodWorkersOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#statuses = new StatusManager(opts.client);
    const resolvConf = opts.resolvConf ?? '/etc/resolv.conf';
    const hostDNS = async (): Promise<HostDNS> => {
      try {
        return parseResolvConf(await readFile(resolvConf, 'utf8'));
      } catch {
        return { servers: [], searches: [], options: [] };
      }
    };
    this.#syncer = new PodSyncer({
      client: opts.client,
      runtime: opts.runtime,
      runtimeName: () => this.#runtimeName || (opts.runtime.name === 'cri' ? 'containerd' : opts.runtime.name),
      paths: opts.paths,
      volumes: opts.volumes,
      environment: opts.environment,
      probes: opts.probes,
      recorder: opts.recorder,
      statuses: this.#statuses,
      images: new ImageManager({ runtime: opts.runtime, now: this.#now }),
      clusterDNS: opts.clusterDNS,
      clusterDomain: opts.clusterDomain,
      hostIPs: opts.hostIPs,
      hostDNS,
      memoryCapacity: opts.memoryCapacityBytes ?? os.totalmem(),
      volumeRefreshMs: opts.resyncPeriodMs ?? 60_000,
      logger: opts.logger,
      now: this.#now,
    });
  }

  /** Watches this node's pods, syncs each in its own worker and relists the runtime, until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    const informer = new Informer(this.#opts.client, PODS, {
      fieldSelector: `spec.nodeName=${this.#opts.nodeName}`,
      onError: (err) => this.#log.debug('pod informer error', { error: err }),
    });
    informer.addEventHandler({
      onAdd: (p) => this.#onPod(p as Pod),
      onUpdate: (o, p) => this.#onPodUpdate(o as Pod, p as Pod),
      onDelete: (p) => this.#onPodDeleted(p as Pod),
    });
    const informing = informer.start(signal);
    try {
      const version = await this.#opts.runtime.version(signal);
      this.#runtimeName = version.runtimeName;
    } catch (err) {
      if (!signal.aborted) this.#log.warn('runtime version unknown', { error: err });
    }
    try {
      await informer.waitForSync(signal);
      while (!signal.aborted) {
        try {
          await this.#relist(signal);
          if (this.#relistFailing) this.#log.info('relisting the runtime works again');
          this.#relistFailing = false;
        } catch (err) {
          if (!signal.aborted) {
            if (this.#relistFailing) this.#log.debug('relisting the runtime failed', { error: err });
            else this.#log.warn('relisting the runtime failed', { error: err });
            this.#relistFailing = true;
          }
        }
        await abortableSleep(this.#opts.relistPeriodMs ?? 1000, signal).catch(() => {});
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      for (const w of this.#workers.values()) clearTimeout(w.timer);
      await informing;
      while (this.#loops.size) await Promise.all([...this.#loops]);
      for (const w of this.#workers.values()) clearTimeout(w.timer);
    }
  }

  /** Pods with a ready sandbox that are not finished. */
  runningPods(): number {
    let n = 0;
    for (const w of this.#workers.values()) if (w.rec.phase === 'active' && w.rec.sandboxReady && !w.rec.deleted) n++;
    return n;
  }

  unhealthy(podUID: string, containerName: string, containerId: string, kind: 'liveness' | 'startup', message: string): void {
    const w = this.#workers.get(podUID);
    if (!w) return;
    this.#log.debug('container unhealthy', { pod: podFullName(w.rec.pod), container: containerName, kind, message });
    w.rec.unhealthy.set(containerId, kind);
    this.#kick(w);
  }

  changed(podUID: string): void {
    const w = this.#workers.get(podUID);
    if (w) this.#kick(w);
  }

  #onPod(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || pod.spec?.nodeName !== this.#opts.nodeName) return;
    const w = this.#workers.get(uid);
    if (w) {
      w.rec.pod = pod;
      w.rec.deleted = false;
      w.rec.orphan = false;
    } else this.#workers.set(uid, this.#newWorker(pod));
    this.#kick(this.#workers.get(uid)!);
  }

  #onPodUpdate(old: Pod, pod: Pod): void {
    if (old.metadata?.uid !== pod.metadata?.uid) this.#onPodDeleted(old);
    const w = pod.metadata?.uid ? this.#workers.get(pod.metadata.uid) : undefined;
    if (w && syncRelevant(old) === syncRelevant(pod)) {
      w.rec.pod = pod;
      return;
    }
    this.#onPod(pod);
    if (w && pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) w.cancelSync?.abort(new PodTerminationRequested());
  }

  #onPodDeleted(pod: Pod): void {
    const w = pod.metadata?.uid ? this.#workers.get(pod.metadata.uid) : undefined;
    if (!w) return;
    if (!w.rec.orphan) w.rec.pod = pod;
    w.rec.deleted = true;
    if (w.rec.phase === 'terminated') this.#remove(w);
    else {
      w.cancelSync?.abort(new PodTerminationRequested());
      this.#kick(w);
    }
  }

  #newWorker(pod: Pod, orphan = false): Worker {
    return { rec: newPodRecord(pod, orphan), running: false, pending: false, cancelSync: undefined, timer: undefined, timerAt: 0, errors: 0 };
  }

  #remove(w: Worker): void {
    clearTimeout(w.timer);
    if (this.#workers.get(w.rec.uid) === w) this.#workers.delete(w.rec.uid);
    this.#statuses.forget(w.rec.uid);
  }

  /** Syncs the pod now, or once more after the sync under way. */
  #kick(w: Worker): void {
    const signal = this.#signal;
    if (!signal || signal.aborted) return;
    if (w.running) {
      w.pending = true;
      return;
    }
    w.running = true;
    const loop = this.#loop(w, signal).finally(() => {
      w.running = false;
      this.#loops.delete(loop);
    });
    this.#loops.add(loop);
  }

  async #loop(w: Worker, signal: AbortSignal): Promise<void> {
    do {
      w.pending = false;
      clearTimeout(w.timer);
      w.timer = undefined;
      let wakeAfterMs: number | undefined;
      // Only a sync that runs the pod can be cut short; stopping it never is.
      const terminating = w.rec.deleted || !!w.rec.pod.metadata?.deletionTimestamp;
      const cancel = new AbortController();
      const onAbort = () => cancel.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      if (!terminating) w.cancelSync = cancel;
      try {
        ({ wakeAfterMs } = await this.#syncer.sync(w.rec, cancel.signal));
        w.errors = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (cancel.signal.reason instanceof PodTerminationRequested) {
          w.pending = true;
          continue;
        }
        w.errors++;
        wakeAfterMs = Math.min(500 * 2 ** Math.min(w.errors, 5), 10_000);
        this.#log.warn('pod sync failed', { pod: podFullName(w.rec.pod), error: err, retryInMs: wakeAfterMs });
      } finally {
        signal.removeEventListener('abort', onAbort);
        w.cancelSync = undefined;
      }
      if (w.rec.phase === 'terminated') {
        if (w.rec.deleted) this.#remove(w);
        return;
      }
      if (w.rec.phase === 'active' || w.errors > 0) {
        const resync = this.#opts.resyncPeriodMs ?? 60_000;
        this.#wakeAfter(w, Math.min(wakeAfterMs ?? resync, resync * (0.9 + 0.2 * Math.random())));
      }
    } while (w.pending && !signal.aborted);
  }

  #wakeAfter(w: Worker, ms: number): void {
    const at = this.#now() + ms;
    if (w.timer && w.timerAt <= at) return;
    clearTimeout(w.timer);
    w.timerAt = at;
    w.timer = setTimeout(() => {
      w.timer = undefined;
      this.#kick(w);
    }, ms);
  }

  /** PLEG: sees which pods' sandboxes or containers changed since the last relist and syncs them. */
  async #relist(signal: AbortSignal): Promise<void> {
    const runtime = this.#opts.runtime;
    const [sandboxes, containers] = await Promise.all([runtime.listPodSandbox({}, signal), runtime.listContainers({}, signal)]);
    const seen = new Map<string, string[]>();
    const names = new Map<string, [string, string]>();
    const note = (uid: string | undefined, what: string) => {
      if (!uid) return;
      let list = seen.get(uid);
      if (!list) seen.set(uid, (list = []));
      list.push(what);
    };
    for (const s of sandboxes) {
      const uid = s.labels[CRI_LABELS.podUID];
      note(uid, `s/${s.id}/${s.state}`);
      if (uid) names.set(uid, [s.labels[CRI_LABELS.podName] ?? s.metadata.name, s.labels[CRI_LABELS.podNamespace] ?? s.metadata.namespace]);
    }
    for (const c of containers) note(c.labels[CRI_LABELS.podUID], `c/${c.id}/${c.state}`);
    const fresh = new Map<string, string>();
    for (const [uid, list] of seen) fresh.set(uid, list.sort().join(','));
    const previous = this.#relisted;
    this.#relisted = fresh;
    for (const uid of new Set([...fresh.keys(), ...previous.keys()])) {
      if (fresh.get(uid) === previous.get(uid)) continue;
      const w = this.#workers.get(uid);
      if (w) {
        this.#kick(w);
        continue;
      }
      if (!fresh.has(uid)) continue;
      // Nothing in the API runs here under this UID: whatever the runtime holds of it goes.
      const [name, namespace] = names.get(uid) ?? ['', ''];
      const orphan = this.#newWorker(orphanPod(uid, name, namespace), true);
      this.#workers.set(uid, orphan);
      this.#log.info('cleaning up containers of a pod the API no longer has', { pod: `${namespace}/${name}`, uid });
      this.#kick(orphan);
    }
  }
}
