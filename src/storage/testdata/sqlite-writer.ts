// Child process for sqlite.durability.test.ts: creates keys in a SqliteBackend as fast as it can and prints
// "<key> <revision>" for each acknowledged write. Stops by itself after maxWrites or maxMs (normally it is killed first).
import { SqliteBackend } from '../sqlite.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: sqlite-writer.ts DB_PATH');
const maxWrites = 200_000;
const maxMs = 60_000;

const backend = new SqliteBackend(path);
const value = new TextEncoder().encode(JSON.stringify({ kind: 'ConfigMap', data: { payload: 'x'.repeat(512) } }));
const started = Date.now();
for (let i = 0; i < maxWrites && Date.now() - started < maxMs; i++) {
  const key = `/registry/configmaps/durability/cm-${i}`;
  const revision = await backend.create(key, value);
  process.stdout.write(`${key} ${revision}\n`); // synchronous for pipes on Linux: printed means acknowledged
  if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
}
await backend.close();
