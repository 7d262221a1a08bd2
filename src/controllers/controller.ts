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
