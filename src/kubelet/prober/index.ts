// Container probes and lifecycle hooks of the node agent.
export { type ProbeOutcome, type ProbeResult, type ProbeTarget, ProbeConfigError, resolveContainerPort, KUBE_MINOR_VERSION } from './common.ts';
export { runProbe, type RunProbeOptions } from './probe.ts';
export { runHandler, type HookTarget, type HookResult, type RunHandlerOptions } from './hook.ts';
export { ProbeManager, type ProbeManagerOptions } from './manager.ts';
