// docker.io/library/nginx from Debian's nginx and nginx-common packages (downloaded, never installed here): the
// binary with the shared libraries it loads, configured like upstream's image — port 80, the welcome page from
// /usr/share/nginx/html, access log to stdout and error log to stderr, workers as user nginx (101), SIGQUIT to
// stop — plus busybox-static's applets, so the image has a shell as upstream's Debian-based one does.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addBusybox, BUSYBOX_PACKAGE, busyboxApplets, resolveBusyboxStatic } from './busybox.ts';
import { debField, extractDeb, fetchDebs, installedVersions, parseDepends, upstreamVersion, type DebianPackage } from './debian.ts';
import { mergedUsrPath, sharedLibraries, type SharedLibrary } from './libraries.ts';
import type { ImageContent, ImageRecipe, RecipeContext, ResolvedRecipe } from './recipe.ts';
import { DEFAULT_PATH_ENV, groupFile, passwdFile, Rootfs } from './rootfs.ts';

export const NGINX_PACKAGES = ['nginx', 'nginx-common'] as const;
/** upstream's nginx image runs its workers as nginx, uid and gid 101. */
export const NGINX_UID = 101;

export const NGINX_CONF = `user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
`;

// IPv4 only: upstream's entrypoint adds [::]:80 only when the pod has IPv6, and this image has no entrypoint.
export const DEFAULT_SERVER_CONF = `server {
    listen       80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
`;

export const ERROR_PAGE = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
</body>
</html>
`;

/** Files nginx-common ships in /etc/nginx that upstream's image has too. */
const CONFIG_FILES = ['mime.types', 'fastcgi_params', 'scgi_params', 'uwsgi_params', 'koi-utf', 'koi-win', 'win-utf'];

export interface NginxParts {
  /** Where the nginx and nginx-common packages were unpacked. */
  packageRoot: string;
  libraries: SharedLibrary[];
  busybox: Uint8Array;
  applets: string[];
}

/** The nginx image's file tree (merged /usr, as Debian 12). */
export function nginxRootfs(parts: NginxParts): Rootfs {
  const from = (p: string) => readFileSync(path.join(parts.packageRoot, p));
  const rootfs = new Rootfs();
  for (const dir of ['bin', 'sbin', 'lib', 'lib64']) rootfs.symlink(dir, `usr/${dir}`);
  for (const dir of ['dev', 'proc', 'sys', 'home', 'etc/nginx/conf.d', 'usr/lib/nginx/modules', 'var/cache/nginx', 'var/lib/nginx', 'var/log/nginx', 'run/lock']) {
    rootfs.dir(dir);
  }
  rootfs.dir('root', 0o700).dir('tmp', 0o1777);
  rootfs.symlink('var/run', '/run').symlink('var/lock', '/run/lock');
  rootfs.symlink('var/log/nginx/access.log', '/dev/stdout').symlink('var/log/nginx/error.log', '/dev/stderr');

  rootfs.file('usr/sbin/nginx', from('usr/sbin/nginx'), 0o755);
  for (const lib of parts.libraries) {
    const at = mergedUsrPath(lib.path);
    // Modes as on the host: the kernel runs the program interpreter (ld.so) only if it is executable.
    if (!rootfs.has(at)) rootfs.file(at, readFileSync(lib.source), statSync(lib.source).mode & 0o7777);
  }
  for (const f of CONFIG_FILES) rootfs.file(`etc/nginx/${f}`, from(`etc/nginx/${f}`));
  rootfs.file('etc/nginx/nginx.conf', NGINX_CONF);
  rootfs.file('etc/nginx/conf.d/default.conf', DEFAULT_SERVER_CONF);
  rootfs.file('usr/share/nginx/html/index.html', from('usr/share/nginx/html/index.html'));
  rootfs.file('usr/share/nginx/html/50x.html', ERROR_PAGE);

  rootfs.file(
    'etc/passwd',
    passwdFile([
      { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' },
      { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/usr/sbin/nologin' },
      { name: 'nginx', uid: NGINX_UID, gid: NGINX_UID, gecos: 'nginx user', home: '/nonexistent', shell: '/bin/false' },
    ]),
  );
  rootfs.file('etc/group', groupFile([{ name: 'root', gid: 0 }, { name: 'nogroup', gid: 65534 }, { name: 'nginx', gid: NGINX_UID }]));
  rootfs.file('etc/nsswitch.conf', 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n');
  addBusybox(rootfs, 'usr/bin', parts.busybox, parts.applets);
  return rootfs;
}

export function nginxContent(rootfs: Rootfs, version: string): ImageContent {
  return {
    rootfs,
    cmd: ['nginx', '-g', 'daemon off;'],
    env: [DEFAULT_PATH_ENV, `NGINX_VERSION=${upstreamVersion(version)}`],
    exposedPorts: ['80/tcp'],
    stopSignal: 'SIGQUIT',
    createdBy: `skiff: nginx ${version} from Debian`,
  };
}

/** Shared-library packages are named lib… (zlib1g aside); nginx's other dependencies are not needed in an image. */
const isLibraryPackage = (name: string) => /^(lib|zlib)/.test(name);

export const nginxRecipe: ImageRecipe = {
  name: 'nginx',
  repository: 'docker.io/library/nginx',
  recipeVersion: 2,
  async resolve({ debDir, signal }: RecipeContext): Promise<ResolvedRecipe> {
    const busybox = await resolveBusyboxStatic(signal);
    const debs = await fetchDebs([...NGINX_PACKAGES], debDir, signal);
    const nginx = debs.find((d) => d.name === 'nginx')!;
    const libraryPackages = parseDepends(await debField(nginx.deb!, 'Depends', signal)).filter(isLibraryPackage);
    const onHost = await installedVersions(libraryPackages, signal);
    const downloaded = await fetchDebs(
      libraryPackages.filter((p) => !onHost.has(p)),
      debDir,
      signal,
    );
    const inputs: Record<string, string> = { [BUSYBOX_PACKAGE]: busybox.version };
    for (const d of [...debs, ...downloaded]) inputs[d.name] = d.version;
    for (const [name, version] of onHost) inputs[name] = version;
    return {
      inputs,
      version: upstreamVersion(nginx.version),
      build: (buildSignal) => buildNginx(debs, downloaded, busybox.binary, nginx.version, buildSignal),
    };
  },
};

async function buildNginx(debs: DebianPackage[], libraryDebs: DebianPackage[], busybox: string, version: string, signal?: AbortSignal): Promise<ImageContent> {
  const work = mkdtempSync(path.join(tmpdir(), 'skiff-nginx-'));
  try {
    const packageRoot = path.join(work, 'nginx');
    for (const d of debs) await extractDeb(d.deb!, packageRoot, signal);
    const libraryRoots: string[] = [];
    for (const d of libraryDebs) {
      const root = path.join(work, d.name);
      await extractDeb(d.deb!, root, signal);
      libraryRoots.push(root);
    }
    const libraries = await sharedLibraries(path.join(packageRoot, 'usr/sbin/nginx'), libraryRoots, signal);
    const applets = await busyboxApplets(busybox, signal);
    return nginxContent(nginxRootfs({ packageRoot, libraries, busybox: readFileSync(busybox), applets }), version);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
