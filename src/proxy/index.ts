// kube-proxy for Skiff: Services to packets with iptables (nf_tables backend).
export { Proxier, type ProxierMetrics, type ProxierOptions } from './proxier.ts';
export { cleanupProxyRules, CleanupError } from './cleanup.ts';
export { ExecIptables, hostIptables, IptablesError, type ExecIptablesOptions, type Iptables } from './iptables.ts';
export { RuleSyncer, type RuleSyncerOptions, type SyncResult } from './syncer.ts';
export { ExecConntrack, type Conntrack } from './conntrack.ts';
export { ExecSysctl, type Sysctl } from './sysctl.ts';
