// The Skiff client: transport, resource-generic client, informers and work queues.
export * from './errors.ts';
export * from './transport.ts';
export * from './client.ts';
export * from './informer.ts';
export * from './workqueue.ts';
export { abortableSleep } from './sleep.ts';
