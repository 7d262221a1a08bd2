import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { enc } from './backend.suite.ts';
import { EtcdBackend } from './etcd.ts';
import { defaultSqlitePath, openBackend, UnsupportedDatastoreError } from './index.ts';
import { MemoryBackend } from './memory.ts';
import { SqliteBackend } from './sqlite.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-open-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('an empty endpoint opens sqlite under <dataDir>/db/state.db, creating the directories', async (t) => {
  const dataDir = join(tempDir(t), 'data');
  const b = openBackend('', dataDir);
  t.after(() => b.close());
  assert.ok(b instanceof SqliteBackend);
  await b.create('/registry/a', enc('1'));
  assert.ok(existsSync(defaultSqlitePath(dataDir)));
  assert.equal(defaultSqlitePath(dataDir), join(dataDir, 'db', 'state.db'));
});

test('sqlite:// takes absolute and relative paths; an empty path means the default', async (t) => {
  const dir = tempDir(t);
  const absolute = openBackend(`sqlite://${join(dir, 'abs', 'x.db')}?_journal=WAL`, join(dir, 'data'));
  await absolute.create('/registry/a', enc('1'));
  await absolute.close();
  assert.ok(existsSync(join(dir, 'abs', 'x.db')));

  const cwd = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(cwd));
  const relative = openBackend('sqlite://rel/y.db', join(dir, 'data'));
  await relative.close();
  assert.ok(existsSync(resolve(dir, 'rel', 'y.db')));

  const empty = openBackend('sqlite://', join(dir, 'data'));
  await empty.close();
  assert.ok(existsSync(join(dir, 'data', 'db', 'state.db')));
});

test('etcd:// and http:// endpoint lists open the etcd driver; memory:// the memory driver', async () => {
  for (const endpoint of ['etcd://127.0.0.1:2379', 'etcd://10.0.0.1:2379,10.0.0.2:2379', 'http://127.0.0.1:2379,http://127.0.0.2:2379']) {
    const b = openBackend(endpoint, '/nonexistent');
    assert.ok(b instanceof EtcdBackend, endpoint);
    await b.close();
  }
  assert.ok(openBackend('memory://', '/nonexistent') instanceof MemoryBackend);
});

test('an unknown scheme or a malformed etcd host fails with UnsupportedDatastoreError naming the accepted schemes', () => {
  for (const endpoint of ['mysql://root@tcp(127.0.0.1)/kine', 'postgres://localhost/db', 'state.db', 'etcd://no-port', 'etcd://a:1,/path']) {
    assert.throws(
      () => openBackend(endpoint, '/nonexistent'),
      (err) =>
        err instanceof UnsupportedDatastoreError &&
        err.name === 'UnsupportedDatastoreError' &&
        err.endpoint === endpoint &&
        err.message.includes('sqlite://') &&
        err.message.includes('etcd://'),
      endpoint,
    );
  }
});
