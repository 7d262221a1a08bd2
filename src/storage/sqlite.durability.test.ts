// Kill -9 a process writing to sqlite, then check every acknowledged write is there and the file is sound.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { enc } from './backend.suite.ts';
import { SqliteBackend } from './sqlite.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const killAfter = 300;

interface Ack {
  key: string;
  revision: number;
}

/** Runs the writer until it has acknowledged at least `count` writes, then SIGKILLs it; returns every acknowledged write. */
function writeThenKill(dbPath: string, count: number): Promise<Ack[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'testdata', 'sqlite-writer.ts'), dbPath], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer acknowledged only ${acks.length} writes before the guard ran out; stderr:\n${stderr}`));
    }, 60_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!; // an unfinished line was not acknowledged
      for (const line of lines) {
        const [key, revision] = line.split(' ');
        acks.push({ key: key!, revision: Number(revision) });
      }
      if (!killed && acks.length >= count) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (!killed) return reject(new Error(`writer exited (${code ?? signal}) before it was killed; stderr:\n${stderr}`));
      assert.equal(signal, 'SIGKILL');
      resolvePromise(acks);
    });
  });
}

test('sqlite: every write acknowledged before SIGKILL survives, and the database is intact', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-durability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'state.db');

  const acks = await writeThenKill(dbPath, killAfter);
  assert.ok(acks.length >= killAfter, `${acks.length} acknowledged writes`);

  const b = new SqliteBackend(dbPath);
  t.after(() => b.close());
  assert.deepEqual(b.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  const missing: string[] = [];
  for (const { key, revision } of acks) {
    const kv = await b.get(key);
    if (!kv || kv.modRevision !== revision || kv.createRevision !== revision) missing.push(`${key}@${revision}`);
  }
  assert.deepEqual(missing, [], `acknowledged writes lost or changed after SIGKILL (${acks.length} acknowledged)`);
  const last = acks[acks.length - 1]!.revision;
  const current = await b.currentRevision();
  assert.ok(current >= last, `current revision ${current} >= last acknowledged ${last}`);
  const listed = await b.list('/registry/configmaps/durability/');
  assert.ok(listed.items.length >= acks.length);

  const next = await b.create('/registry/configmaps/durability/after-restart', enc('{}'));
  assert.ok(next > current);
  await b.update('/registry/configmaps/durability/after-restart', enc('{"a":1}'), next);
  assert.deepEqual(b.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
});
