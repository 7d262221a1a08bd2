// The controllers `skiff server` and `skiff up` run, by upstream's names (kube-controller-manager --controllers).
import type { ControllerFactory } from './controller.ts';
import { NamespaceController } from './namespace.ts';
import { RootCAPublisher } from './rootca.ts';
import { ServiceAccountController } from './serviceaccount.ts';

export const controllerFactories: Record<string, ControllerFactory> = {
  namespace: (ctx) => new NamespaceController(ctx),
  serviceaccount: (ctx) => new ServiceAccountController(ctx),
  'root-ca-cert-publisher': (ctx) => new RootCAPublisher(ctx),
};
