// The controller manager: one client, one set of shared informers, and every named controller started together.
import { setMaxListeners } from 'node:events';
import type { Client } from '../client/client.ts';
import { EventRecorder } from '../client/events.ts';
import { InformerFactory } from '../client/factory.ts';
import type { Logger } from '../log.ts';
import type { ControllerConfig, ControllerContext, ControllerFactory } from './controller.ts';
import { controllerFactories } from './index.ts';

export interface ControllerManagerOptions {
  client: Client;
  config: ControllerConfig;
  logger: (name: string) => Logger;
  /** Which controllers to run; default all of controllerFactories. */
  controllers?: Record<string, ControllerFactory>;
}

export function newControllerContext(opts: Omit<ControllerManagerOptions, 'controllers'>): ControllerContext {
  const log = opts.logger('controller-manager');
  return {
    client: opts.client,
    informers: new InformerFactory(opts.client, (gvr, err) => log.debug('informer error', { resource: gvr.resource, error: err })),
    recorder: (component) => new EventRecorder(opts.client, { component }, { onError: (err) => log.debug('event not recorded', { component, error: err }) }),
    logger: opts.logger,
    config: opts.config,
  };
}

/** Runs until `signal` aborts; resolves when every controller and informer has stopped. */
export async function runControllerManager(opts: ControllerManagerOptions, signal: AbortSignal, ctx = newControllerContext(opts)): Promise<void> {
  const log = opts.logger('controller-manager');
  // Every informer's watch and every worker listens on this one signal.
  setMaxListeners(0, signal);
  const running = Object.entries(opts.controllers ?? controllerFactories).map(([name, make]) =>
    make(ctx)
      .start(signal)
      .catch((err: unknown) => {
        if (!signal.aborted) log.error('controller failed', { controller: name, error: err });
      }),
  );
  ctx.informers.start(signal);
  await Promise.all(running);
  await ctx.informers.stopped();
}
