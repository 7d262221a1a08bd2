// The controllers `skiff server` and `skiff up` run, by upstream's names (kube-controller-manager --controllers).
import type { ControllerFactory } from './controller.ts';
import { CronJobController } from './cronjob.ts';
import { DaemonSetController } from './daemonset.ts';
import { DeploymentController } from './deployment.ts';
import { DisruptionController } from './disruption.ts';
import { EndpointsController } from './endpoints.ts';
import { EndpointSliceController } from './endpointslice.ts';
import { GarbageCollector } from './garbagecollector.ts';
import { JobController } from './job.ts';
import { NamespaceController } from './namespace.ts';
import { NodeIPAMController } from './nodeipam.ts';
import { NodeLifecycleController } from './nodelifecycle.ts';
import { TaintEvictionController } from './nodelifecycle-tainteviction.ts';
import { ReplicaSetController, ReplicationManager } from './replicaset.ts';
import { ResourceQuotaController } from './resourcequota.ts';
import { RootCAPublisher } from './rootca.ts';
import { ServiceAccountController } from './serviceaccount.ts';
import { ServiceLBController } from './servicelb.ts';
import { StatefulSetController } from './statefulset.ts';
import { TTLAfterFinishedController } from './ttlafterfinished.ts';

export const controllerFactories: Record<string, ControllerFactory> = {
  namespace: (ctx) => new NamespaceController(ctx),
  serviceaccount: (ctx) => new ServiceAccountController(ctx),
  'root-ca-cert-publisher': (ctx) => new RootCAPublisher(ctx),
  'node-ipam': (ctx) => new NodeIPAMController(ctx),
  'node-lifecycle': (ctx) => new NodeLifecycleController(ctx),
  'taint-eviction-controller': (ctx) => new TaintEvictionController(ctx),
  resourcequota: (ctx) => new ResourceQuotaController(ctx),
  'garbage-collector': (ctx) => new GarbageCollector(ctx),
  endpointslice: (ctx) => new EndpointSliceController(ctx),
  endpoint: (ctx) => new EndpointsController(ctx),
  disruption: (ctx) => new DisruptionController(ctx),
  job: (ctx) => new JobController(ctx),
  cronjob: (ctx) => new CronJobController(ctx),
  'ttl-after-finished': (ctx) => new TTLAfterFinishedController(ctx),
  deployment: (ctx) => new DeploymentController(ctx),
  replicaset: (ctx) => new ReplicaSetController(ctx),
  replicationcontroller: (ctx) => new ReplicationManager(ctx),
  daemonset: (ctx) => new DaemonSetController(ctx),
  statefulset: (ctx) => new StatefulSetController(ctx),
  // k3s's built-in service load balancer (not a kube-controller-manager controller).
  servicelb: (ctx) => new ServiceLBController(ctx),
};
