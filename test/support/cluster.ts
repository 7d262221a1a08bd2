// An in-process control plane for controller and scheduler tests: the real API server on memory storage (or SQLite),
// on a free loopback port, running only the controllers a test names.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../src/cli/controlplane.ts';
import type { ServerFlags } from '../../src/cli/server-flags.ts';
import type { Client, GroupVersionResource } from '../../src/client/client.ts';
import { ApiError } from '../../src/client/errors.ts';
import type { ControllerFactory } from '../../src/controllers/controller.ts';

export interface TestCluster {
  url: string;
  kubeconfig: string;
  dataDir: string;
  client: Client;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Controllers to run (default none). */
  controllers?: Record<string, ControllerFactory>;
  datastore?: 'memory' | 'sqlite';
  flags?: Partial<ServerFlags>;
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-cluster-'));
  const flags: ServerFlags = {
    dataDir,
    securePort: 0,
    bindAddress: '127.0.0.1',
    advertiseAddress: '127.0.0.1',
    datastoreEndpoint: opts.datastore === 'sqlite' ? `sqlite://${join(dataDir, 'db', 'state.db')}` : 'memory://',
    serviceCIDR: '10.96.0.0/12',
    nodePortRange: [30000, 32767],
    clusterCIDR: '10.244.0.0/16',
    nodeCIDRMaskSize: 24,
    logFormat: 'json',
    compaction: { intervalMs: 5 * 60_000, keepRevisions: 1000 },
    // No kube-dns Service: tests see only the objects they make (and the bootstrap ones), unless they ask for it.
    disable: new Set(['dns', 'servicelb'] as const),
    ...opts.flags,
  };
  const stop = new AbortController();
  const plane = await startControlPlane(flags, stop.signal, { controllers: opts.controllers ?? {} });
  return {
    url: plane.url,
    kubeconfig: plane.kubeconfigPath,
    dataDir,
    client: plane.client,
    async stop() {
      stop.abort();
      await plane.closed;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const gvr = {
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  pods: { group: '', version: 'v1', resource: 'pods' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  events: { group: '', version: 'v1', resource: 'events' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  persistentvolumeclaims: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
  resourcequotas: { group: '', version: 'v1', resource: 'resourcequotas' },
  limitranges: { group: '', version: 'v1', resource: 'limitranges' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  statefulsets: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  controllerrevisions: { group: 'apps', version: 'v1', resource: 'controllerrevisions' },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs' },
  cronjobs: { group: 'batch', version: 'v1', resource: 'cronjobs' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  poddisruptionbudgets: { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' },
  priorityclasses: { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' },
} satisfies Record<string, GroupVersionResource>;

/** The ApiError (a Status from the server) a request was refused with; fails when it was not refused. */
export async function refusal(work: Promise<unknown> | (() => Promise<unknown>)): Promise<ApiError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the API server to refuse');
}
