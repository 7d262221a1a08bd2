// Where Skiff's own containerd keeps its files, and the config (containerd's version 2 TOML, as Debian 12's
// containerd 1.6 reads it) that points every path under Skiff's data dir, so it never meets a system containerd.
import path from 'node:path';

/** Debian's CNI plugin directory (package containernetworking-plugins). */
export const DEBIAN_CNI_BIN_DIR = '/usr/lib/cni';
/** The pause image the CRI plugin runs each sandbox from (kubelet 1.35's default). */
export const DEFAULT_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10.1';
/** A unix socket path is at most 107 bytes; containerd adds ".ttrpc" for its second socket. */
const MAX_SOCKET_PATH = 107 - '.ttrpc'.length;

export interface ContainerdPaths {
  /** <data-dir>/containerd: everything below belongs to Skiff's containerd. */
  dir: string;
  config: string;
  root: string;
  state: string;
  socket: string;
  log: string;
  pidFile: string;
  cniConfDir: string;
  /** hosts.toml per registry (registry mirrors), containerd's `config_path`. */
  registryConfigDir: string;
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const dir = path.join(path.resolve(dataDir), 'containerd');
  return {
    dir,
    config: path.join(dir, 'config.toml'),
    root: path.join(dir, 'root'),
    state: path.join(dir, 'state'),
    socket: path.join(dir, 'containerd.sock'),
    log: path.join(dir, 'containerd.log'),
    pidFile: path.join(dir, 'containerd.pid'),
    cniConfDir: path.join(dir, 'cni', 'net.d'),
    registryConfigDir: path.join(dir, 'certs.d'),
  };
}

export class SocketPathTooLongError extends Error {
  override name = 'SocketPathTooLongError';
}

export function checkSocketPath(socket: string): void {
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new SocketPathTooLongError(
      `containerd's socket path ${socket} is ${Buffer.byteLength(socket)} bytes, over the ${MAX_SOCKET_PATH} a unix socket allows here; use a shorter --data-dir`,
    );
  }
}

export interface ContainerdConfigOptions {
  paths: ContainerdPaths;
  sandboxImage?: string;
  cniBinDir?: string;
  /** containerd's log level (debug, info, warn, error). */
  logLevel?: string;
  /** gid that may use the socket (default 0: root only). */
  socketGid?: number;
}

// TOML basic strings take the same escapes JSON writes.
const str = (s: string) => JSON.stringify(s);

/** containerd's config.toml for Skiff's own containerd. Only what differs from containerd's defaults, plus what the CRI plugin needs. */
export function containerdConfig(options: ContainerdConfigOptions): string {
  const { paths } = options;
  checkSocketPath(paths.socket);
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return [
    '# Written by Skiff on every start of its containerd; edits are overwritten.',
    'version = 2',
    `root = ${str(paths.root)}`,
    `state = ${str(paths.state)}`,
    '',
    '[grpc]',
    `  address = ${str(paths.socket)}`,
    '  uid = 0',
    `  gid = ${options.socketGid ?? 0}`,
    '  max_recv_message_size = 16777216',
    '  max_send_message_size = 16777216',
    '',
    '[debug]',
    `  level = ${str(options.logLevel ?? 'info')}`,
    '',
    '[timeouts]',
    // containerd waits forever for its metadata database's lock by default; a stale containerd on the same root
    // should be an error instead.
    '  "io.containerd.timeout.bolt.open" = "10s"',
    '',
    '[plugins]',
    '  [plugins."io.containerd.internal.v1.opt"]',
    `    path = ${str(path.join(paths.root, 'opt'))}`,
    '',
    `  ${cri}]`,
    `    sandbox_image = ${str(options.sandboxImage ?? DEFAULT_SANDBOX_IMAGE)}`,
    // On a VM with cgroup v1 the CRI plugin cannot lower oom_score_adj below containerd's own: clamp instead of failing.
    '    restrict_oom_score_adj = true',
    '    disable_tcp_service = true',
    '    stream_server_address = "127.0.0.1"',
    '    stream_server_port = "0"',
    '    enable_selinux = false',
    '    systemd_cgroup = false',
    '    tolerate_missing_hugetlb_controller = true',
    '',
    `    ${cri}.cni]`,
    `      bin_dir = ${str(options.cniBinDir ?? DEBIAN_CNI_BIN_DIR)}`,
    `      conf_dir = ${str(paths.cniConfDir)}`,
    '      max_conf_num = 1',
    '',
    `    ${cri}.containerd]`,
    '      snapshotter = "overlayfs"',
    '      default_runtime_name = "runc"',
    '',
    `      ${cri}.containerd.runtimes.runc]`,
    '        runtime_type = "io.containerd.runc.v2"',
    '',
    `        ${cri}.containerd.runtimes.runc.options]`,
    '          SystemdCgroup = false',
    `          Root = ${str(path.join(paths.state, 'runc'))}`,
    '',
    `    ${cri}.registry]`,
    `      config_path = ${str(paths.registryConfigDir)}`,
    '',
  ].join('\n');
}
