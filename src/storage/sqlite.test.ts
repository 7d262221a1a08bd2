import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { runBackendSuite, WatchRecorder, dec, enc, plain } from './backend.suite.ts';
import { CompactedError, StorageError } from './backend.ts';
import { SqliteBackend } from './sqlite.ts';

runBackendSuite('sqlite', async () => new SqliteBackend(':memory:'));

// Files add WAL and the checkpoint worker.
const suiteDir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-suite-'));
after(() => rmSync(suiteDir, { recursive: true, force: true }));
let files = 0;
runBackendSuite('sqlite (file)', async () => new SqliteBackend(join(suiteDir, `${++files}.db`), { checkpointIntervalMs: 5 }));

function tempDb(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'nested', 'state.db');
}

test('sqlite: data, revisions and the compacted revision survive reopening the file', async (t) => {
  const path = tempDb(t);
  const first = new SqliteBackend(path);
  const r1 = await first.create('/registry/a', enc('a1'));
  const r2 = await first.update('/registry/a', enc('a2'), r1);
  const { revision: r3 } = await first.delete('/registry/a');
  const r4 = await first.create('/registry/b', enc('b1'));
  await first.compact(r3);
  await first.close();
  await assert.rejects(first.get('/registry/b'), StorageError);

  const second = new SqliteBackend(path);
  t.after(() => second.close());
  assert.equal(await second.currentRevision(), r4);
  assert.equal(await second.compactedRevision(), r3);
  assert.deepEqual(plain(await second.get('/registry/b')), { key: '/registry/b', value: 'b1', createRevision: r4, modRevision: r4 });
  assert.equal(await second.get('/registry/a'), undefined);
  await assert.rejects(second.list('/registry/', { revision: r2 }), CompactedError);
  const r5 = await second.create('/registry/a', enc('a3'));
  assert.ok(r5 > r4);
  assert.deepEqual(second.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
});

test('sqlite: compaction removes superseded rows and tombstones, keeps current rows and everything after', async (t) => {
  const path = tempDb(t);
  const b = new SqliteBackend(path, { compactBatchSize: 3 });
  t.after(() => b.close());
  let revision = await b.create('/r/a', enc('0'));
  for (let i = 1; i <= 10; i++) revision = await b.update('/r/a', enc(`${i}`), revision);
  await b.create('/r/gone', enc('x'));
  const { revision: deleted } = await b.delete('/r/gone');
  const kept = await b.create('/r/b', enc('b'));
  const after = await b.update('/r/a', enc('11'), revision);
  await b.compact(kept);
  const rows = (await b.list('/r/', { revision: kept })).items.map((kv) => `${kv.key}=${dec(kv.value)}`);
  assert.deepEqual(rows, ['/r/a=10', '/r/b=b']);
  const watch = new WatchRecorder(b, '/r/', { afterRevision: kept });
  t.after(() => watch.stop());
  await watch.waitFor(1);
  assert.equal(watch.events[0]!.kv.modRevision, after);
  assert.equal(dec(watch.events[0]!.prev!.value), '10');
  assert.ok(deleted < kept);
  // Left: a@10 (current at the compacted revision), b, and a@11.
  assert.equal(countRows(path), 3);
});

/** Rows in the log table, read through a second connection (WAL allows concurrent readers). */
function countRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.prepare('SELECT COUNT(*) FROM kine').pluck().get());
  } finally {
    db.close();
  }
}

test('sqlite: a watcher whose buffer overflows catches up from the table', async (t) => {
  const b = new SqliteBackend(':memory:', { watch: { bufferSize: 2, batchSize: 3 } });
  t.after(() => b.close());
  const watch = new WatchRecorder(b, '/k/', { afterRevision: 0 });
  t.after(() => watch.stop());
  await b.create('/k/0', enc('0'));
  await watch.waitFor(1);
  await Promise.all(Array.from({ length: 20 }, (_, i) => b.create(`/k/${i + 1}`, enc(`${i + 1}`))));
  await watch.waitFor(21);
  assert.deepEqual(
    watch.events.map((e) => dec(e.kv.value)),
    Array.from({ length: 21 }, (_, i) => `${i}`),
  );
});
