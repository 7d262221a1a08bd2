// The one test suite every storage driver runs (memory.test.ts, sqlite.test.ts, etcd.test.ts). Each test works under
// its own key prefix and only relies on revisions it wrote itself, so drivers may share one store between tests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import type { Backend, KeyValue, WatchEvent, WatchOptions } from './backend.ts';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from './backend.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const enc = (text: string): Uint8Array => encoder.encode(text);
export const dec = (bytes: Uint8Array): string => decoder.decode(bytes);

/** A KeyValue with its value as text, for deepEqual. */
export function plain(kv: KeyValue | undefined): { key: string; value: string; createRevision: number; modRevision: number } | undefined {
  return kv && { key: kv.key, value: dec(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision };
}

/** Guards against hangs only; nothing asserts on time. */
const waitLimitMs = 15_000;

/** Consumes a watch in the background and records its events. */
export class WatchRecorder {
  readonly events: WatchEvent[] = [];
  readonly progress: number[] = [];
  readonly controller = new AbortController();
  /** Settles when the iteration ends: resolves on a normal end, rejects with the watch's error. */
  readonly done: Promise<void>;
  /** How many events had arrived when each progress notification came. */
  readonly eventsAtProgress: number[] = [];
  #changed: () => void = () => {};

  constructor(backend: Backend, prefix: string, options: Omit<WatchOptions, 'signal' | 'onProgress'> & { progress?: boolean }) {
    const { progress, ...rest } = options;
    const watchOptions: WatchOptions = { ...rest, signal: this.controller.signal };
    if (progress) {
      watchOptions.onProgress = (revision) => {
        this.progress.push(revision);
        this.eventsAtProgress.push(this.events.length);
        this.#changed();
      };
    }
    const iterable = backend.watch(prefix, watchOptions);
    this.done = (async () => {
      try {
        for await (const event of iterable) {
          this.events.push(event);
          this.#changed();
        }
      } finally {
        this.#changed();
      }
    })();
    this.done.catch(() => {}); // observed through waitFor/done by the tests
  }

  /** Resolves once `check` holds; rejects if the watch ends first (with its error) or after the hang guard. */
  async waitUntil(what: string, check: () => boolean): Promise<void> {
    const deadline = Date.now() + waitLimitMs;
    let ended = false;
    let failure: unknown;
    this.done.then(
      () => (ended = true),
      (err: unknown) => {
        ended = true;
        failure = err;
      },
    );
    while (!check()) {
      if (ended) throw failure ?? new Error(`watch ended before ${what}; got ${this.events.length} events`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`gave up waiting for ${what}; got ${this.events.length} events`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.#changed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  waitFor(count: number): Promise<void> {
    return this.waitUntil(`${count} events`, () => this.events.length >= count);
  }

  stop(): Promise<void> {
    this.controller.abort();
    return this.done;
  }
}

function summary(event: WatchEvent): string {
  return `${event.type} ${event.kv.key}=${dec(event.kv.value)}@${event.kv.modRevision}`;
}

export function runBackendSuite(name: string, newBackend: () => Promise<Backend>): void {
  const run = randomBytes(4).toString('hex');
  let tests = 0;

  /** A started backend, closed after the test, and a key prefix of the test's own. */
  async function setup(t: TestContext): Promise<{ b: Backend; p: string }> {
    const b = await newBackend();
    await b.start();
    t.after(() => b.close());
    return { b, p: `/registry/suite-${run}-${++tests}/` };
  }

  describe(`storage backend: ${name}`, { timeout: 60_000 }, () => {
    test('create then get; a second create fails with KeyExistsError; get of a missing key is undefined', async (t) => {
      const { b, p } = await setup(t);
      const revision = await b.create(`${p}a`, enc('v1'));
      assert.ok(revision > 0);
      assert.deepEqual(plain(await b.get(`${p}a`)), { key: `${p}a`, value: 'v1', createRevision: revision, modRevision: revision });
      await assert.rejects(b.create(`${p}a`, enc('v2')), (err) => err instanceof KeyExistsError && err.key === `${p}a`);
      assert.equal(dec((await b.get(`${p}a`))!.value), 'v1');
      assert.equal(await b.get(`${p}missing`), undefined);
    });

    test('update with the current revision succeeds; a stale revision fails with RevisionConflictError', async (t) => {
      const { b, p } = await setup(t);
      const created = await b.create(`${p}a`, enc('v1'));
      const updated = await b.update(`${p}a`, enc('v2'), created);
      assert.ok(updated > created);
      assert.deepEqual(plain(await b.get(`${p}a`)), { key: `${p}a`, value: 'v2', createRevision: created, modRevision: updated });
      await assert.rejects(
        b.update(`${p}a`, enc('v3'), created),
        (err) => err instanceof RevisionConflictError && err.expected === created && err.actual === updated,
      );
      assert.equal(dec((await b.get(`${p}a`))!.value), 'v2');
      await assert.rejects(b.update(`${p}missing`, enc('x'), updated), KeyNotFoundError);
    });

    test('delete with and without an expected revision', async (t) => {
      const { b, p } = await setup(t);
      const a = await b.create(`${p}a`, enc('va'));
      const other = await b.create(`${p}b`, enc('vb'));
      await assert.rejects(
        b.delete(`${p}a`, other + 1000),
        (err) => err instanceof RevisionConflictError && err.expected === other + 1000 && err.actual === a,
      );
      assert.equal(dec((await b.get(`${p}a`))!.value), 'va');
      const deleted = await b.delete(`${p}a`, a);
      assert.ok(deleted.revision > other);
      assert.deepEqual(plain(deleted.prev), { key: `${p}a`, value: 'va', createRevision: a, modRevision: a });
      assert.equal(await b.get(`${p}a`), undefined);
      await assert.rejects(b.delete(`${p}a`), KeyNotFoundError);
      await assert.rejects(b.delete(`${p}a`, a), KeyNotFoundError);
      await assert.rejects(b.update(`${p}a`, enc('x'), a), KeyNotFoundError);
      const unconditional = await b.delete(`${p}b`);
      assert.ok(unconditional.revision > deleted.revision);
      assert.equal(dec(unconditional.prev.value), 'vb');
      assert.equal(await b.get(`${p}b`), undefined);
    });

    test('create after delete starts a new incarnation with a new createRevision', async (t) => {
      const { b, p } = await setup(t);
      const first = await b.create(`${p}a`, enc('one'));
      const { revision: tombstone } = await b.delete(`${p}a`);
      const second = await b.create(`${p}a`, enc('two'));
      assert.ok(second > tombstone);
      assert.deepEqual(plain(await b.get(`${p}a`)), { key: `${p}a`, value: 'two', createRevision: second, modRevision: second });
      assert.notEqual(second, first);
      await assert.rejects(b.update(`${p}a`, enc('x'), first), RevisionConflictError);
    });

    test('list and count see only keys under the prefix ("pods/" does not match "podsx/")', async (t) => {
      const { b, p } = await setup(t);
      await b.create(`${p}pods/ns1/a`, enc('a'));
      await b.create(`${p}podsx/ns1/b`, enc('b'));
      await b.create(`${p}pods`, enc('bare'));
      await b.create(`${p}pods/ns2/c`, enc('c'));
      const pods = await b.list(`${p}pods/`);
      assert.deepEqual(
        pods.items.map((kv) => kv.key),
        [`${p}pods/ns1/a`, `${p}pods/ns2/c`],
      );
      assert.equal(pods.more, false);
      assert.equal(await b.count(`${p}pods/`), 2);
      assert.deepEqual((await b.list(`${p}podsx/`)).items.map((kv) => dec(kv.value)), ['b']);
      assert.equal(await b.count(`${p}podsx/`), 1);
      assert.deepEqual((await b.list(`${p}pods/ns1/`)).items.map((kv) => dec(kv.value)), ['a']);
      assert.equal((await b.list(`${p}nothing/`)).items.length, 0);
    });

    test('list pages with limit and startKey at one revision, with more and remaining', async (t) => {
      const { b, p } = await setup(t);
      for (const name of ['a', 'b', 'c', 'd', 'e']) await b.create(`${p}items/${name}`, enc(name));
      await b.create(`${p}itemsz/x`, enc('outside'));
      const first = await b.list(`${p}items/`, { limit: 2 });
      assert.deepEqual(first.items.map((kv) => dec(kv.value)), ['a', 'b']);
      assert.equal(first.more, true);
      assert.equal(first.remaining, 3);
      // Written between pages: invisible to the pages read at the first page's revision.
      await b.create(`${p}items/cc`, enc('cc'));
      const second = await b.list(`${p}items/`, { limit: 2, startKey: `${p}items/b\0`, revision: first.revision });
      assert.deepEqual(second.items.map((kv) => dec(kv.value)), ['c', 'd']);
      assert.equal(second.more, true);
      assert.equal(second.remaining, 1);
      assert.equal(second.revision, first.revision);
      const third = await b.list(`${p}items/`, { limit: 2, startKey: `${p}items/d\0`, revision: first.revision });
      assert.deepEqual(third.items.map((kv) => dec(kv.value)), ['e']);
      assert.equal(third.more, false);
      const all = await b.list(`${p}items/`);
      assert.deepEqual(all.items.map((kv) => dec(kv.value)), ['a', 'b', 'c', 'cc', 'd', 'e']);
      assert.equal(all.more, false);
      const exact = await b.list(`${p}items/`, { limit: 6 });
      assert.equal(exact.items.length, 6);
      assert.equal(exact.more, false);
    });

    test('list at an older revision shows the state as of that revision', async (t) => {
      const { b, p } = await setup(t);
      const r1 = await b.create(`${p}a`, enc('a1'));
      const r2 = await b.update(`${p}a`, enc('a2'), r1);
      const r3 = await b.create(`${p}b`, enc('b1'));
      const { revision: r4 } = await b.delete(`${p}a`);
      const at = async (revision: number): Promise<string[]> =>
        (await b.list(p, { revision })).items.map((kv) => `${kv.key.slice(p.length)}=${dec(kv.value)}@${kv.modRevision}`);
      assert.deepEqual(await at(r1), [`a=a1@${r1}`]);
      assert.deepEqual(await at(r2), [`a=a2@${r2}`]);
      assert.deepEqual(await at(r3), [`a=a2@${r2}`, `b=b1@${r3}`]);
      assert.deepEqual(await at(r4), [`b=b1@${r3}`]);
      const old = await b.list(p, { revision: r2 });
      assert.equal(old.revision, r2);
      const current = await b.list(p);
      assert.ok(current.revision >= r4);
      await assert.rejects(b.list(p, { revision: current.revision + 1000 }), FutureRevisionError);
    });

    test('revisions strictly increase across writes and currentRevision reports the last one', async (t) => {
      const { b, p } = await setup(t);
      const start = await b.currentRevision();
      const revisions = [
        await b.create(`${p}a`, enc('1')),
        await b.create(`${p}b`, enc('1')),
        await b.update(`${p}a`, enc('2'), (await b.get(`${p}a`))!.modRevision),
        (await b.delete(`${p}b`)).revision,
        await b.create(`${p}b`, enc('again')),
      ];
      let previous = start;
      for (const revision of revisions) {
        assert.ok(revision > previous, `${revision} > ${previous}`);
        previous = revision;
      }
      assert.equal(await b.currentRevision(), revisions[revisions.length - 1]);
    });

    test('a watch from a past revision replays later events with previous values', async (t) => {
      const { b, p } = await setup(t);
      const r0 = await b.create(`${p}a`, enc('a1'));
      const r1 = await b.update(`${p}a`, enc('a2'), r0);
      const r2 = await b.create(`${p}b`, enc('b1'));
      const { revision: r3 } = await b.delete(`${p}a`);
      const watch = new WatchRecorder(b, p, { afterRevision: r0 });
      t.after(() => watch.stop());
      await watch.waitFor(3);
      assert.deepEqual(watch.events.map(summary), [`update ${p}a=a2@${r1}`, `create ${p}b=b1@${r2}`, `delete ${p}a=a2@${r3}`]);
      const [update, create, del] = watch.events;
      assert.deepEqual(plain(update!.prev), { key: `${p}a`, value: 'a1', createRevision: r0, modRevision: r0 });
      assert.equal(create!.prev, undefined);
      assert.equal(create!.kv.createRevision, r2);
      assert.deepEqual(plain(del!.kv), { key: `${p}a`, value: 'a2', createRevision: r0, modRevision: r3 });
      assert.deepEqual(plain(del!.prev), { key: `${p}a`, value: 'a2', createRevision: r0, modRevision: r1 });
    });

    test('a live watch delivers create, update and delete in order with previous values', async (t) => {
      const { b, p } = await setup(t);
      const watch = new WatchRecorder(b, p, { afterRevision: await b.currentRevision() });
      t.after(() => watch.stop());
      const r1 = await b.create(`${p}x`, enc('1'));
      const r2 = await b.update(`${p}x`, enc('2'), r1);
      const r3 = await b.update(`${p}x`, enc('3'), r2);
      const { revision: r4 } = await b.delete(`${p}x`, r3);
      const r5 = await b.create(`${p}x`, enc('again'));
      await watch.waitFor(5);
      assert.deepEqual(watch.events.map(summary), [
        `create ${p}x=1@${r1}`,
        `update ${p}x=2@${r2}`,
        `update ${p}x=3@${r3}`,
        `delete ${p}x=3@${r4}`,
        `create ${p}x=again@${r5}`,
      ]);
      assert.deepEqual(
        watch.events.map((event) => event.prev && `${dec(event.prev.value)}@${event.prev.modRevision}`),
        [undefined, `1@${r1}`, `2@${r2}`, `3@${r3}`, undefined],
      );
      assert.equal(watch.events[4]!.kv.createRevision, r5);
    });

    test('a watch on a prefix does not see other keys', async (t) => {
      const { b, p } = await setup(t);
      const watch = new WatchRecorder(b, `${p}a/`, { afterRevision: await b.currentRevision() });
      t.after(() => watch.stop());
      await b.create(`${p}b/x`, enc('other'));
      await b.create(`${p}ab`, enc('sibling'));
      await b.create(`${p}a`, enc('bare'));
      const mine = await b.create(`${p}a/x`, enc('mine'));
      await watch.waitFor(1);
      assert.deepEqual(watch.events.map(summary), [`create ${p}a/x=mine@${mine}`]);
    });

    test('a watch from a future revision starts after it', async (t) => {
      const { b, p } = await setup(t);
      const current = await b.currentRevision();
      const watch = new WatchRecorder(b, p, { afterRevision: current + 2 });
      t.after(() => watch.stop());
      await b.create(`${p}a`, enc('skipped'));
      await b.create(`${p}b`, enc('skipped too'));
      const first = await b.create(`${p}c`, enc('first'));
      await watch.waitFor(1);
      assert.deepEqual(watch.events.map(summary), [`create ${p}c=first@${first}`]);
    });

    test('watch events arrive without gap or duplicate while writes continue during the replay', async (t) => {
      const { b, p } = await setup(t);
      const from = await b.currentRevision();
      for (let i = 0; i < 30; i++) await b.create(`${p}k${String(i).padStart(3, '0')}`, enc(`${i}`));
      const watch = new WatchRecorder(b, p, { afterRevision: from });
      t.after(() => watch.stop());
      const writes = (async () => {
        for (let i = 30; i < 60; i++) await b.create(`${p}k${String(i).padStart(3, '0')}`, enc(`${i}`));
      })();
      await writes;
      await watch.waitFor(60);
      const revisions = watch.events.map((event) => event.kv.modRevision);
      for (let i = 1; i < revisions.length; i++) assert.ok(revisions[i]! > revisions[i - 1]!, 'revision order');
      assert.deepEqual(
        watch.events.map((event) => dec(event.kv.value)),
        Array.from({ length: 60 }, (_, i) => `${i}`),
      );
    });

    test('compaction: reads and watches below the compacted revision fail, current values stay', async (t) => {
      const { b, p } = await setup(t);
      const r1 = await b.create(`${p}a`, enc('a1'));
      const r2 = await b.update(`${p}a`, enc('a2'), r1);
      const r3 = await b.create(`${p}b`, enc('b1'));
      const { revision: r4 } = await b.delete(`${p}b`);
      const r5 = await b.create(`${p}c`, enc('c1'));
      await b.compact(r4);
      assert.equal(await b.compactedRevision(), r4);
      await assert.rejects(
        b.list(p, { revision: r3 }),
        (err) => err instanceof CompactedError && err.requested === r3 && err.compacted === r4,
      );
      const below = new WatchRecorder(b, p, { afterRevision: r2 });
      await assert.rejects(below.done, CompactedError);
      assert.deepEqual((await b.list(p, { revision: r4 })).items.map((kv) => `${dec(kv.value)}@${kv.modRevision}`), [`a2@${r2}`]);
      assert.deepEqual((await b.list(p)).items.map((kv) => dec(kv.value)), ['a2', 'c1']);
      assert.deepEqual(plain(await b.get(`${p}a`)), { key: `${p}a`, value: 'a2', createRevision: r1, modRevision: r2 });
      const after = new WatchRecorder(b, p, { afterRevision: r4 });
      t.after(() => after.stop());
      await after.waitFor(1);
      assert.deepEqual(after.events.map(summary), [`create ${p}c=c1@${r5}`]);
      // Compacting an older revision again changes nothing; writes go on; the live key can still be updated.
      await b.compact(r2);
      assert.equal(await b.compactedRevision(), r4);
      const r6 = await b.update(`${p}a`, enc('a3'), r2);
      await b.create(`${p}b`, enc('b2'));
      await after.waitFor(3);
      assert.deepEqual(after.events.slice(1).map((event) => `${event.type} ${dec(event.kv.value)}`), ['update a3', 'create b2']);
      assert.equal(dec(after.events[1]!.prev!.value), 'a2');
      assert.ok(r6 > r5);
    });

    test('aborting the signal ends a watch', async (t) => {
      const { b, p } = await setup(t);
      const watch = new WatchRecorder(b, p, { afterRevision: await b.currentRevision() });
      await b.create(`${p}a`, enc('1'));
      await watch.waitFor(1);
      watch.controller.abort();
      await watch.done; // ends without an error
      await b.create(`${p}b`, enc('2'));
      assert.equal(watch.events.length, 1);
      const aborted = new AbortController();
      aborted.abort();
      const never: WatchEvent[] = [];
      for await (const event of b.watch(p, { afterRevision: await b.currentRevision(), signal: aborted.signal })) never.push(event);
      assert.equal(never.length, 0);
    });

    test('concurrent updates with the same expected revision: exactly one wins', async (t) => {
      const { b, p } = await setup(t);
      const created = await b.create(`${p}a`, enc('0'));
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => b.update(`${p}a`, enc(`w${i}`), created)));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, revision: r.value }] : []));
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof RevisionConflictError, String(r.reason));
      assert.deepEqual(plain(await b.get(`${p}a`)), {
        key: `${p}a`,
        value: `w${won[0]!.i}`,
        createRevision: created,
        modRevision: won[0]!.revision,
      });
    });

    test('concurrent creates of one key: exactly one wins', async (t) => {
      const { b, p } = await setup(t);
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => b.create(`${p}a`, enc(`c${i}`))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof KeyExistsError, String(r.reason));
    });

    test('progress notifications follow every event at or below their revision', async (t) => {
      const { b, p } = await setup(t);
      const watch = new WatchRecorder(b, `${p}mine/`, { afterRevision: await b.currentRevision(), progress: true });
      t.after(() => watch.stop());
      const mine = await b.create(`${p}mine/a`, enc('1'));
      const other = await b.create(`${p}other/a`, enc('2'));
      await watch.waitUntil(`progress to ${other}`, () => watch.progress.some((revision) => revision >= other));
      watch.progress.forEach((revision, i) => {
        if (revision >= mine) assert.equal(watch.eventsAtProgress[i], 1, `event at ${mine} delivered before progress ${revision}`);
      });
      assert.deepEqual(watch.events.map(summary), [`create ${p}mine/a=1@${mine}`]);
    });
  });
}
