// What every controller gets from the controller manager, and the one method the manager calls.
import type { Client } from '../client/client.ts';
import type { EventRecorder } from '../client/events.ts';
import type { InformerFactory } from '../client/factory.ts';
import type { Logger } from '../log.ts';

export interface ControllerConfig {
  /** PEM of the cluster CA (published as kube-root-ca.crt). */
  caPem: string;
  /** The pod network, split into one podCIDR per node (--cluster-cidr, default 10.244.0.0/16). */
  clusterCIDR: string;
  /** Prefix length of each node's podCIDR (default 24). */
  nodeCIDRMaskSize: number;
  serviceCIDR: string;
  /** kube-controller-manager's node lifecycle settings; unset ones take upstream's defaults (nodelifecycle.ts). */
  nodeLifecycle?: {
    /** --node-monitor-period (5 s): how often node heartbeats are checked. */
    monitorPeriodMs?: number;
    /** --node-monitor-grace-period (40 s): silence after which a node's conditions become Unknown. */
    monitorGracePeriodMs?: number;
    /** --node-startup-grace-period (60 s): the same for a node that never posted its status. */
    startupGracePeriodMs?: number;
    /** --node-eviction-rate (0.1): nodes per second per zone given a NoExecute taint. */
    evictionRate?: number;
    /** --secondary-node-eviction-rate (0.01), for a large zone that is partly down. */
    secondaryEvictionRate?: number;
    /** --large-cluster-size-threshold (50). */
    largeClusterSizeThreshold?: number;
    /** --unhealthy-zone-threshold (0.55). */
    unhealthyZoneThreshold?: number;
  };
}

export interface ControllerContext {
  client: Client;
  /** Shared informers: ask for what you watch before start() resolves; the manager starts them. */
  informers: InformerFactory;
  /** An event recorder reporting as `component` (e.g. 'deployment-controller'). */
  recorder(component: string): EventRecorder;
  logger(name: string): Logger;
  config: ControllerConfig;
}

export interface Controller {
  /** Runs until `signal` aborts; informers from the context are started by the manager. */
  start(signal: AbortSignal): Promise<void>;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;
