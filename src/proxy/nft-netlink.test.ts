import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, compilers, parseNftAnswer } from './nfnl-helper.ts';
import { batchFailure, batchOpsText, encodeBatch, type NftBatchOp } from './nft-netlink.ts';

/** The messages of a batch: [type, flags, seq] and the payload after the nfgenmsg header. */
function messages(bytes: Buffer): { type: number; flags: number; seq: number; body: Buffer }[] {
  const out = [];
  for (let at = 0; at < bytes.length; ) {
    const len = bytes.readUInt32LE(at);
    out.push({ type: bytes.readUInt16LE(at + 4), flags: bytes.readUInt16LE(at + 6), seq: bytes.readUInt32LE(at + 8), body: bytes.subarray(at + 20, at + len) });
    assert.ok(len >= 20 && len % 4 === 0, `message at ${at} has a whole length (${len})`);
    at += len;
  }
  return out;
}

describe('nf_tables batches', () => {
  it('wraps the ops in batch begin and end, one acknowledged message per op and element lists split to fit 64 KiB', () => {
    const elements = Array.from({ length: 3000 }, (_, i) => [`10.96.${i >> 8}.${i & 255} . tcp . 80`, ' : goto pick-cluster-tcp-1'] as const);
    const ops: NftBatchOp[] = [
      { op: 'flush', container: 'service-ips' },
      { op: 'add', container: 'service-ips', elements },
      { op: 'flush chain', chain: 'service-X' },
      { op: 'delete set', set: 'affinity-X' },
    ];
    const batch = encodeBatch(ops);
    const msgs = messages(batch.bytes);
    assert.equal(msgs[0]!.type, 0x10, 'batch begin');
    assert.equal(msgs.at(-1)!.type, 0x11, 'batch end');
    const inner = msgs.slice(1, -1);
    assert.ok(inner.length > 4, 'the 3,000 elements took more than one message');
    for (const m of inner) {
      assert.equal(m.flags & 0x5, 0x5, 'request, acknowledged');
      assert.ok(m.body.length < 65536, 'every element list fits one attribute');
      assert.ok(batch.messages.has(m.seq));
    }
    // nf_tables message types: DELSETELEM (flush), NEWSETELEM…, DELRULE (flush chain), DELSET.
    assert.deepEqual([...new Set(inner.map((m) => m.type & 0xff))], [14, 12, 8, 11]);
    assert.equal(inner[0]!.type >> 8, 10, 'the nftables subsystem');
  });

  it('refuses elements that do not fit their set, naming them, before anything is sent', () => {
    const bad: [NftBatchOp, RegExp][] = [
      [{ op: 'add', container: 'cluster-ips', elements: [['10.96.0.300', '']] }, /10\.96\.0\.300/],
      [{ op: 'add', container: 'service-ips', elements: [['10.96.0.1 . quic . 80', ' : goto x']] }, /quic/],
      [{ op: 'add', container: 'service-ips', elements: [['10.96.0.1 . tcp . 80', ' : teleport x']] }, /teleport/],
      [{ op: 'add', container: 'service-ips', elements: [['10.96.0.1 . tcp . 70000', ' : drop']] }, /70000/],
      [{ op: 'add', container: 'no-endpoint-services', elements: [['10.96.0.1 . tcp . 80', ` comment "${'x'.repeat(300)}" : drop`]] }, /longer than 254/],
      [{ op: 'add groups', container: 'tcp-service-endpoints', groups: [{ container: 'tcp-service-endpoints', prefix: '10.96.0.1 . 80', ips: ['fe80::1'], ports: [80] }] }, /fe80::1/],
    ];
    for (const [op, message] of bad) assert.throws(() => encodeBatch([op]), message);
  });

  it('writes the same ops as nft text, endpoint groups element by element', () => {
    assert.deepEqual(
      batchOpsText([
        { op: 'flush', container: 'hairpin-endpoints' },
        { op: 'add groups', container: 'tcp-service-endpoints', groups: [{ container: 'tcp-service-endpoints', prefix: '10.96.0.1 . 80', ips: ['10.244.0.5', '10.244.0.6'], ports: [8080, 8080] }] },
        { op: 'delete', container: 'service-ips', elements: [['10.96.0.1 . tcp . 80', ' : goto pick-cluster-tcp-2']] },
        { op: 'add pairs', container: 'hairpin-endpoints', ips: ['10.244.0.5'] },
      ]),
      [
        'flush set ip kube-proxy hairpin-endpoints',
        'add element ip kube-proxy tcp-service-endpoints { 10.96.0.1 . 80 . 0 : 10.244.0.5 . 8080, 10.96.0.1 . 80 . 1 : 10.244.0.6 . 8080 }',
        'delete element ip kube-proxy service-ips { 10.96.0.1 . tcp . 80 }',
        'add element ip kube-proxy hairpin-endpoints { 10.244.0.5 . 10.244.0.5 }',
      ],
    );
  });

  it("reads the helper's answers: the first errors described with the op they belong to, or acknowledgements missing", () => {
    const batch = encodeBatch([
      { op: 'flush', container: 'service-ips' },
      { op: 'add', container: 'service-ips', elements: [['10.96.0.1 . tcp . 80', ' : goto nowhere']] },
    ]);
    const [flush, add] = [...batch.messages.keys()];
    assert.equal(batchFailure(batch, `${flush} 0 -\n${add} 0 -\n`), null);
    assert.equal(
      batchFailure(batch, `${flush} 0 -\n${add} 2 Chain not found\n`),
      'add element ip kube-proxy service-ips (1 elements, first 10.96.0.1 . tcp . 80): no such file or directory (ENOENT: Chain not found)',
    );
    assert.equal(batchFailure(batch, `${flush} 0 -\n`), 'the kernel acknowledged 1 of 2 nf_tables messages');
  });
});

describe('the helper\'s answer to an nft script', () => {
  it('waits for every byte of both outputs, counted in bytes', () => {
    const answer = Buffer.from('nft 1 9 10\ntable é\nError: x\n\nend\n');
    for (let cut = 0; cut < answer.length - 4; cut++) assert.equal(parseNftAnswer(answer.subarray(0, cut)), undefined, `cut at ${cut}`);
    assert.deepEqual(parseNftAnswer(answer), { code: 1, stdout: 'table é\n', stderr: 'Error: x\n\n' });
  });

  it('refuses an answer it does not understand', () => {
    assert.throws(() => parseNftAnswer(Buffer.from('12 0 -\nend\n')), /unexpected answer/);
  });
});

describe('the helper\'s compiler', () => {
  it('is $CC when set, else the first of cc, gcc and tcc that is installed', async () => {
    assert.deepEqual(compilers({ CC: 'clang' }), ['clang']);
    assert.deepEqual(compilers({}), ['cc', 'gcc', 'tcc']);
    // A PATH with only a (fake) tcc: it is the one used; with none, the error says what was looked for.
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cc-'));
    const saved = { PATH: process.env['PATH'], CC: process.env['CC'] };
    try {
      writeFileSync(join(dir, 'tcc'), '#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\necho "built by tcc" > "$2"\n');
      chmodSync(join(dir, 'tcc'), 0o755);
      process.env['PATH'] = dir;
      delete process.env['CC'];
      await compile(join(dir, 'helper.c'), join(dir, 'out', 'helper'));
      assert.equal(readFileSync(join(dir, 'out', 'helper'), 'utf8'), 'built by tcc\n');
      rmSync(join(dir, 'tcc'));
      await assert.rejects(compile(join(dir, 'helper.c'), join(dir, 'out', 'again')), /no C compiler is installed \(looked for cc, gcc, tcc\)/);
    } finally {
      for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
