import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSocketPath, containerdConfig, containerdPaths, SocketPathTooLongError } from './containerd-config.ts';
import { ContainerdNotInstalledError, findContainerd } from './containerd.ts';

describe('containerdPaths', () => {
  it('puts everything under <data-dir>/containerd, with an absolute socket path', () => {
    const p = containerdPaths('rel/data');
    assert.ok(p.dir.startsWith('/') && p.dir.endsWith('/rel/data/containerd'));
    for (const file of [p.config, p.root, p.state, p.socket, p.log, p.pidFile, p.cniConfDir, p.registryConfigDir]) {
      assert.ok(file.startsWith(`${p.dir}/`), file);
    }
  });
});

describe('containerdConfig', () => {
  const paths = containerdPaths('/var/lib/skiff');
  const toml = containerdConfig({ paths });
  const line = (re: RegExp) => assert.match(toml, re);

  it('is a version 2 config with its own root, state and socket', () => {
    line(/^version = 2$/m);
    line(/^root = "\/var\/lib\/skiff\/containerd\/root"$/m);
    line(/^state = "\/var\/lib\/skiff\/containerd\/state"$/m);
    line(/^\[grpc\]\n {2}address = "\/var\/lib\/skiff\/containerd\/containerd.sock"$/m);
  });

  it('sets up the CRI plugin for this kind of machine', () => {
    line(/^\s+restrict_oom_score_adj = true$/m);
    line(/^\s+sandbox_image = "registry.k8s.io\/pause:3.10.1"$/m);
    line(/\.cni\]\n\s+bin_dir = "\/usr\/lib\/cni"\n\s+conf_dir = "\/var\/lib\/skiff\/containerd\/cni\/net.d"$/m);
    line(/^\s+snapshotter = "overlayfs"$/m);
    line(/^\s+SystemdCgroup = false$/m);
    line(/^\s+config_path = "\/var\/lib\/skiff\/containerd\/certs.d"$/m);
    // Only loopback for the streaming server.
    line(/^\s+stream_server_address = "127.0.0.1"$/m);
  });

  it('takes the sandbox image, CNI bin dir and log level from options, quoting them as TOML strings', () => {
    const custom = containerdConfig({ paths, sandboxImage: 'skiff.local/pause:"1"', cniBinDir: '/opt/cni/bin', logLevel: 'debug' });
    assert.match(custom, /sandbox_image = "skiff.local\/pause:\\"1\\""/);
    assert.match(custom, /bin_dir = "\/opt\/cni\/bin"/);
    assert.match(custom, /level = "debug"/);
  });

  it('refuses a socket path longer than a unix socket allows', () => {
    const deep = containerdPaths(`/tmp/${'x'.repeat(90)}`);
    assert.throws(() => containerdConfig({ paths: deep }), SocketPathTooLongError);
    assert.doesNotThrow(() => checkSocketPath('/tmp/skiff/containerd/containerd.sock'));
  });
});

describe('findContainerd', () => {
  it('names the Debian packages to install when a part is missing', () => {
    assert.throws(
      () => findContainerd('/nonexistent/containerd', '/nonexistent/cni'),
      (err: unknown) =>
        err instanceof ContainerdNotInstalledError &&
        err.message.includes('containerd (/nonexistent/containerd)') &&
        err.message.includes('/nonexistent/cni/bridge') &&
        err.message.includes('apt-get install containerd runc containernetworking-plugins'),
    );
  });
});
