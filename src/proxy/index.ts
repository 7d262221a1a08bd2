// kube-proxy for Skiff: Services to packets with iptables (nf_tables backend).
export { Proxier, type ProxierMetrics, type ProxierOptions, type ProxyMode, type ProxySyncer } from './proxier.ts';
export { cleanupProxyRules, CleanupError } from './cleanup.ts';
export { ExecIptables, hostIptables, IptablesError, type ExecIptablesOptions, type Iptables } from './iptables.ts';
export { RuleSyncer, type RuleSyncerOptions, type SyncResult } from './syncer.ts';
export { ExecConntrack, type Conntrack } from './conntrack.ts';
export { ExecSysctl, type Sysctl } from './sysctl.ts';
export { cleanupNftablesRules, ExecNftables, NftablesError, type Nftables } from './nft.ts';
export { NftSyncer, type NftSyncerOptions } from './nft-syncer.ts';
export { hostProxier, runProxierOnWorker, ProxyWorkerError, type HostProxySettings } from './host-proxier.ts';
