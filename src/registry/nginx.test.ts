import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ociImageArchive } from '../kubelet/containerd-images.ts';
import { nginxContent, nginxRootfs } from './nginx.ts';
import { openOciArchive, type OpenedOciArchive } from './testing.ts';

describe('the nginx image, from stand-in package files', () => {
  let dir: string;
  let image: OpenedOciArchive;
  const file = (p: string) => path.join(image.rootfs, p);

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-nginx-test-'));
    const pkg = path.join(dir, 'pkg');
    const put = (p: string, text: string, mode = 0o644) => {
      mkdirSync(path.dirname(path.join(pkg, p)), { recursive: true });
      writeFileSync(path.join(pkg, p), text, { mode });
    };
    put('usr/sbin/nginx', 'nginx binary', 0o755);
    for (const f of ['mime.types', 'fastcgi_params', 'scgi_params', 'uwsgi_params', 'koi-utf', 'koi-win', 'win-utf']) put(`etc/nginx/${f}`, `${f}\n`);
    put('usr/share/nginx/html/index.html', '<title>Welcome to nginx!</title>\n');
    writeFileSync(path.join(dir, 'ld.so'), 'loader', { mode: 0o755 });
    writeFileSync(path.join(dir, 'libz.so'), 'zlib', { mode: 0o644 });
    const rootfs = nginxRootfs({
      packageRoot: pkg,
      libraries: [
        { path: '/lib/x86_64-linux-gnu/libz.so.1', source: path.join(dir, 'libz.so') },
        { path: '/lib64/ld-linux-x86-64.so.2', source: path.join(dir, 'ld.so') },
      ],
      busybox: Buffer.from('busybox binary'),
      applets: ['sh', 'ls', 'cat', 'wget', 'kill'],
    });
    const { rootfs: tree, ...config } = nginxContent(rootfs, '1.22.1-9+deb12u11');
    image = openOciArchive(ociImageArchive({ name: 'docker.io/library/nginx:latest', ...config, layer: tree.entries() }));
  });

  after(() => {
    image?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has upstream's config: nginx -g 'daemon off;', port 80, SIGQUIT to stop", () => {
    assert.deepEqual(image.config.config.Cmd, ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(image.config.config.ExposedPorts, { '80/tcp': {} });
    assert.equal(image.config.config.StopSignal, 'SIGQUIT');
    assert.ok(image.config.config.Env?.includes('NGINX_VERSION=1.22.1'));
    assert.ok(image.config.config.Env?.some((e) => e.startsWith('PATH=') && e.includes('/usr/sbin')));
    assert.equal(image.config.config.User, undefined);
  });

  it('lays out merged /usr with the binary and its libraries, the loader executable', () => {
    for (const d of ['bin', 'sbin', 'lib', 'lib64']) assert.equal(readlinkSync(file(d)), `usr/${d}`);
    assert.equal(readFileSync(file('usr/sbin/nginx'), 'utf8'), 'nginx binary');
    assert.equal(statSync(file('usr/sbin/nginx')).mode & 0o777, 0o755);
    assert.equal(statSync(file('usr/lib64/ld-linux-x86-64.so.2')).mode & 0o777, 0o755);
    assert.equal(readFileSync(file('usr/lib/x86_64-linux-gnu/libz.so.1'), 'utf8'), 'zlib');
  });

  it('logs to stdout and stderr, serves the welcome page, runs workers as nginx (101)', () => {
    assert.equal(readlinkSync(file('var/log/nginx/access.log')), '/dev/stdout');
    assert.equal(readlinkSync(file('var/log/nginx/error.log')), '/dev/stderr');
    const conf = readFileSync(file('etc/nginx/nginx.conf'), 'utf8');
    assert.match(conf, /^user\s+nginx;$/m);
    assert.match(conf, /^\s*access_log\s+\/var\/log\/nginx\/access\.log\s+main;$/m);
    assert.match(conf, /^error_log\s+\/var\/log\/nginx\/error\.log notice;$/m);
    assert.match(conf, /include\s+\/etc\/nginx\/mime\.types;/);
    const server = readFileSync(file('etc/nginx/conf.d/default.conf'), 'utf8');
    assert.match(server, /^\s*listen\s+80;$/m);
    assert.match(server, /root\s+\/usr\/share\/nginx\/html;/);
    assert.equal(readFileSync(file('usr/share/nginx/html/index.html'), 'utf8'), '<title>Welcome to nginx!</title>\n');
    assert.match(readFileSync(file('usr/share/nginx/html/50x.html'), 'utf8'), /An error occurred/);
    assert.equal(readFileSync(file('etc/nginx/mime.types'), 'utf8'), 'mime.types\n');
    assert.match(readFileSync(file('etc/passwd'), 'utf8'), /^nginx:x:101:101:nginx user:\/nonexistent:\/bin\/false$/m);
    assert.match(readFileSync(file('etc/group'), 'utf8'), /^nginx:x:101:$/m);
  });

  it('has the directories nginx writes to, and a shell', () => {
    for (const d of ['var/cache/nginx', 'var/lib/nginx', 'var/log/nginx', 'run/lock', 'etc/nginx/conf.d', 'usr/lib/nginx/modules']) {
      assert.ok(statSync(file(d)).isDirectory(), d);
    }
    assert.equal(statSync(file('tmp')).mode & 0o7777, 0o1777);
    assert.equal(readlinkSync(file('var/run')), '/run');
    for (const applet of ['sh', 'ls', 'cat', 'wget', 'kill']) assert.equal(readlinkSync(file(`usr/bin/${applet}`)), 'busybox');
    assert.equal(readFileSync(file('usr/bin/busybox'), 'utf8'), 'busybox binary');
  });
});
