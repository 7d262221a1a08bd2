import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './command.ts';
import { heartbeatTimings, parseUpFlags, splitUpArgs, UP_USAGE } from './up-flags.ts';

const env = { isRoot: false, homeDir: '/home/u', cwd: '/work', stderrIsTTY: false };

void describe('skiff up flags', () => {
  void it('takes its own flags and leaves the rest to skiff server', () => {
    const { own, rest } = splitUpArgs(['--simulated-nodes', '3', '--secure-port=0', '--runtime=simulated', '-d', 'x']);
    assert.deepEqual(own, { 'simulated-nodes': '3', runtime: 'simulated' });
    assert.deepEqual(rest, ['--secure-port=0', '-d', 'x']);
    assert.throws(() => splitUpArgs(['--node-name']), /flag needs an argument: --node-name/);
  });

  void it('parses the node flags with their defaults', () => {
    const flags = parseUpFlags(
      ['--data-dir', 'd', '--simulated-nodes', '2', '--simulated-node-capacity', 'cpu=8,memory=16Gi', '--simulated-node-labels', 'tier=batch,example.com/zone=a', '--simulated-stages', 's.yaml', '--node-monitor-grace-period', '4s'],
      env,
    );
    // The test env has no criUnavailable reason: the default is real containers.
    assert.equal(flags.runtime, 'cri');
    assert.equal(flags.runtimeNote, undefined);
    assert.equal(flags.kubeletPort, 10250);
    assert.deepEqual(flags.clusterDNS, ['10.96.0.10']);
    assert.equal(flags.clusterDomain, 'cluster.local');
    assert.equal(flags.simulatedNodes, 2);
    assert.deepEqual(flags.simulatedNodeCapacity, { cpu: '8', memory: '16Gi' });
    assert.deepEqual(flags.simulatedNodeLabels, { tier: 'batch', 'example.com/zone': 'a' });
    assert.equal(flags.simulatedStagesFile, '/work/s.yaml');
    assert.equal(flags.nodeMonitorGracePeriodMs, 4000);
    assert.equal(flags.server.dataDir, '/work/d');
    assert.equal(flags.nodeName, undefined);
  });

  void it('falls back to simulated pods, and says why, when containers cannot run here', () => {
    const prerequisites = { missing: ['conntrack'], missingOwnRuntime: [], debian: true, aptLists: true };
    const flags = parseUpFlags([], { ...env, prerequisites });
    assert.equal(flags.runtime, 'simulated');
    assert.match(flags.runtimeNote ?? '', /^pods are simulated: real containers need root, and Debian's conntrack is not installed \(sudo apt-get install -y --no-install-recommends conntrack;/);
    assert.deepEqual(flags.installPackages, []);
    const asked = parseUpFlags(['--runtime', 'simulated'], { ...env, prerequisites });
    assert.equal(asked.runtimeNote, undefined);
    assert.throws(() => parseUpFlags(['--runtime', 'cri'], { ...env, prerequisites }), { name: 'PrerequisitesError', message: /^--runtime cri: real containers need root/ });
  });

  void it('as root on Debian, installs what is missing, and apt lists when there are none', () => {
    const prerequisites = { missing: ['containerd', 'conntrack'], missingOwnRuntime: ['containerd'], debian: true, aptLists: false };
    const flags = parseUpFlags([], { ...env, isRoot: true, prerequisites });
    assert.equal(flags.runtime, 'cri');
    assert.deepEqual(flags.installPackages, ['containerd', 'conntrack']);
    assert.equal(flags.aptListsMissing, true);
    assert.equal(flags.runtimeNote, undefined);
    // Another runtime's socket: Skiff's own containerd and what only it needs are not installed.
    const external = parseUpFlags(['--runtime', 'cri', '--container-runtime-endpoint', '/run/c.sock'], { ...env, isRoot: true, prerequisites });
    assert.deepEqual(external.installPackages, ['conntrack']);
    const simulated = parseUpFlags(['--runtime', 'simulated'], { ...env, isRoot: true, prerequisites });
    assert.deepEqual([simulated.installPackages, simulated.aptListsMissing], [[], false]);
  });

  void it('with --proxy-mode nftables, installs nft and a C compiler for its netlink helper too', () => {
    const prerequisites = { missing: ['conntrack'], missingOwnRuntime: [], debian: true, aptLists: true };
    const nftablesPrerequisites = { missing: ['tcc'], missingOwnRuntime: [], debian: true, aptLists: true };
    const root = { ...env, isRoot: true, prerequisites, nftablesPrerequisites };
    assert.deepEqual(parseUpFlags(['--proxy-mode', 'nftables'], root).installPackages, ['conntrack', 'tcc']);
    assert.deepEqual(parseUpFlags([], root).installPackages, ['conntrack']);
    assert.deepEqual(parseUpFlags(['--proxy-mode', 'nftables', '--runtime', 'simulated'], root).installPackages, []);
    assert.deepEqual(parseUpFlags(['--proxy-mode', 'nftables'], { ...root, isRoot: false }).installPackages, []);
  });

  void it('parses the CRI node flags', () => {
    const flags = parseUpFlags(['--runtime', 'cri', '--container-runtime-endpoint', 'unix:///run/containerd/containerd.sock', '--kubelet-port', '0', '--cluster-dns', '10.0.0.10', '--cluster-domain', 'corp.local', '--service-cluster-ip-range', '10.100.0.0/16'], env);
    assert.equal(flags.containerRuntimeEndpoint, 'unix:///run/containerd/containerd.sock');
    assert.equal(flags.kubeletPort, 0);
    assert.deepEqual(flags.clusterDNS, ['10.0.0.10']);
    assert.equal(flags.clusterDomain, 'corp.local');
    assert.deepEqual(parseUpFlags(['--service-cluster-ip-range', '10.100.0.0/16'], env).clusterDNS, ['10.100.0.10']);
    assert.throws(() => parseUpFlags(['--runtime', 'simulated', '--container-runtime-endpoint', '/run/c.sock'], env), /--container-runtime-endpoint needs --runtime cri/);
    assert.throws(() => parseUpFlags(['--container-runtime-endpoint', 'tcp://x:1'], env), /want a unix socket/);
    assert.throws(() => parseUpFlags(['--kubelet-port', '70000'], env), /must be a port number between 0 and 65535/);
    assert.throws(() => parseUpFlags(['--cluster-dns', 'ten'], env), /not an IP address/);
  });

  void it('parses the Services proxy flags: on with iptables by default, --disable-kube-proxy as a switch', () => {
    const defaults = parseUpFlags([], env);
    assert.equal(defaults.kubeProxy, true);
    assert.equal(defaults.proxyMode, 'iptables');
    const off = parseUpFlags(['--disable-kube-proxy', '--proxy-mode', 'nftables', '--secure-port', '7443'], env);
    assert.equal(off.kubeProxy, false);
    assert.equal(off.proxyMode, 'nftables');
    assert.equal(off.server.securePort, 7443, 'the switch takes no value');
    assert.equal(parseUpFlags(['--disable-kube-proxy=false'], env).kubeProxy, true);
    assert.throws(() => parseUpFlags(['--proxy-mode', 'ipvs'], env), /invalid argument "ipvs" for "--proxy-mode": want iptables or nftables/);
    assert.throws(() => parseUpFlags(['--disable-kube-proxy=maybe'], env), /want true or false/);
  });

  void it('parses the container log rotation flags as the kubelet does (10Mi and 5 files by default)', () => {
    assert.deepEqual(parseUpFlags([], env).logRotation, { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 });
    assert.deepEqual(parseUpFlags(['--container-log-max-size', '16Ki', '--container-log-max-files=3'], env).logRotation, { maxSizeBytes: 16 * 1024, maxFiles: 3 });
    assert.deepEqual(parseUpFlags(['--container-log-max-size', '1M'], env).logRotation.maxSizeBytes, 1_000_000);
    assert.throws(() => parseUpFlags(['--container-log-max-size', 'ten'], env), /invalid argument "ten" for "--container-log-max-size": want a positive quantity such as 10Mi/);
    assert.throws(() => parseUpFlags(['--container-log-max-size', '0'], env), /want a positive quantity/);
    assert.throws(() => parseUpFlags(['--container-log-max-files', '1'], env), /invalid argument "1" for "--container-log-max-files": want a whole number of at least 2/);
    assert.match(UP_USAGE, /--container-log-max-size QUANTITY/);
  });

  void it('parses the image garbage collection flags as the kubelet does (85%, 80%, 2m by default)', () => {
    assert.deepEqual(parseUpFlags([], env).imageGC, { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000 });
    assert.deepEqual(parseUpFlags(['--image-gc-high-threshold', '90', '--image-gc-low-threshold=50', '--image-minimum-gc-age', '0s'], env).imageGC, { highThresholdPercent: 90, lowThresholdPercent: 50, minAgeMs: 0 });
    assert.equal(parseUpFlags(['--image-minimum-gc-age', '1h'], env).imageGC.minAgeMs, 3_600_000);
    assert.throws(() => parseUpFlags(['--image-gc-high-threshold', '101'], env), /invalid argument "101" for "--image-gc-high-threshold": want a percentage from 0 to 100/);
    assert.throws(() => parseUpFlags(['--image-gc-low-threshold', '85'], env), /--image-gc-low-threshold \(85\) must be less than --image-gc-high-threshold \(85\)/);
    assert.throws(() => parseUpFlags(['--image-minimum-gc-age', 'soon'], env), /want a duration/);
  });

  void it('rejects bad values as usage errors', () => {
    for (const args of [
      ['--runtime', 'docker'],
      ['--simulated-nodes', '-1'],
      ['--simulated-node-capacity', 'cpu=lots'],
      ['--simulated-node-labels', 'bad key=v'],
      ['--node-name', 'Not_A_Name'],
      ['--node-monitor-grace-period', 'forever'],
      ['--no-such-flag', 'x'],
    ]) {
      assert.throws(() => parseUpFlags(args, env), UsageError, args.join(' '));
    }
  });

  void it('refuses more nodes than the cluster CIDR has podCIDRs for, and says what would fit', () => {
    assert.doesNotThrow(() => parseUpFlags(['--simulated-nodes', '255'], env));
    assert.throws(() => parseUpFlags(['--simulated-nodes', '5000'], env), /5001 nodes need 5001 podCIDRs, but --cluster-cidr 10\.244\.0\.0\/16 cut into \/24s .* has 256; widen it, e\.g\. --cluster-cidr 10\.0\.0\.0\/11/);
    assert.equal(parseUpFlags(['--simulated-nodes', '5000', '--cluster-cidr', '10.0.0.0/11'], env).simulatedNodes, 5000);
  });

  void it('keeps upstream heartbeats up to 1000 nodes and stretches them beyond, unless told', () => {
    const small = parseUpFlags(['--simulated-nodes', '999', '--cluster-cidr', '10.0.0.0/14'], env);
    assert.deepEqual(heartbeatTimings(small, 1000), { leaseDurationSeconds: 40, scaled: false });
    const big = parseUpFlags(['--simulated-nodes', '5000', '--cluster-cidr', '10.0.0.0/11'], env);
    assert.deepEqual(heartbeatTimings(big, 5001), { leaseDurationSeconds: 240, gracePeriodMs: 240_000, scaled: true });
    const told = parseUpFlags(['--simulated-nodes', '5000', '--cluster-cidr', '10.0.0.0/11', '--node-lease-duration-seconds', '60', '--node-monitor-grace-period', '90s'], env);
    assert.deepEqual(heartbeatTimings(told, 5001), { leaseDurationSeconds: 60, gracePeriodMs: 90_000, scaled: false });
  });

  void it('documents the server flags too', () => {
    assert.match(UP_USAGE, /--datastore-endpoint URL/);
    assert.match(UP_USAGE, /--simulated-nodes N/);
    assert.match(UP_USAGE, /-h, --help\s+help for up/);
    assert.doesNotMatch(UP_USAGE, /help for server/);
  });
});
