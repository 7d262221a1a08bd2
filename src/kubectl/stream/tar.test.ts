import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { base, clean, dir, extractFileSpec, FILESPEC_FORMAT_ERROR, isRelative, join, stripPathShortcuts } from './cppaths.ts';
import { encodeArchiveEnd, encodeFileEnd, encodeHeader, TarExtractor, type TarHeader } from './tar.ts';

const BUSYBOX = '/bin/busybox';

function read(archive: Buffer, chunk = 100): Array<{ header: TarHeader; data: string }> {
  const entries: Array<{ header: TarHeader; data: string }> = [];
  const x = new TarExtractor((header) => {
    const entry = { header, data: '' };
    entries.push(entry);
    return { write: (d) => (entry.data += d.toString()), end: () => undefined };
  });
  // In small pieces, as a stream delivers them.
  for (let i = 0; i < archive.length; i += chunk) x.write(archive.subarray(i, i + chunk));
  x.end();
  return entries;
}

function entry(name: string, data: string, type = '0', linkname = ''): Buffer {
  const size = type === '0' ? Buffer.byteLength(data) : 0;
  const h: TarHeader = { name, mode: 0o644, uid: 0, gid: 0, size, mtime: 1_700_000_000, type, linkname, uname: 'root', gname: 'root' };
  return Buffer.concat([encodeHeader(h), Buffer.from(type === '0' ? data : ''), encodeFileEnd(size)]);
}

describe('tar for kubectl cp', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'skiff-tar-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const longName = `${'d'.repeat(120)}/${'f'.repeat(120)}.txt`;
  const archive = Buffer.concat([entry('a.txt', 'first\n'), entry(`dir/${'n'.repeat(90)}/b.txt`, 'second\n'), entry(longName, 'third\n'), entry('link', '', '2', 'a.txt'), encodeArchiveEnd()]);

  it('reads back what it writes, long names included', () => {
    const entries = read(archive);
    assert.deepEqual(
      entries.map((e) => [e.header.name, e.header.type, e.data, e.header.linkname]),
      [
        ['a.txt', '0', 'first\n', ''],
        [`dir/${'n'.repeat(90)}/b.txt`, '0', 'second\n', ''],
        [longName, '0', 'third\n', ''],
        ['link', '2', '', 'a.txt'],
      ],
    );
    assert.throws(() => read(archive.subarray(0, 700)), { message: 'unexpected EOF' });
  });

  it("writes what busybox tar extracts, and reads what busybox tar writes (what a container's tar sends)", () => {
    const into = path.join(work, 'x');
    mkdirSync(into);
    const r = spawnSync(BUSYBOX, ['tar', '-xmf', '-', '-C', into], { input: archive });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(path.join(into, longName), 'utf8'), 'third\n');
    assert.equal(readFileSync(path.join(into, 'dir', 'n'.repeat(90), 'b.txt'), 'utf8'), 'second\n');

    const src = path.join(work, 'src');
    mkdirSync(path.join(src, 'sub'), { recursive: true });
    writeFileSync(path.join(src, 'sub', 'file.txt'), 'from busybox\n');
    symlinkSync('sub/file.txt', path.join(src, 'ln'));
    const made = spawnSync(BUSYBOX, ['tar', 'cf', '-', src]);
    assert.equal(made.stderr.toString(), "tar: removing leading '/' from member names\n");
    const entries = read(made.stdout, 4096);
    const prefix = src.slice(1);
    const byName = new Map(entries.map((e) => [e.header.name, e]));
    assert.equal(byName.get(`${prefix}/sub/file.txt`)?.data, 'from busybox\n');
    assert.equal(byName.get(`${prefix}/ln`)?.header.type, '2');
    assert.equal(byName.get(`${prefix}/ln`)?.header.linkname, 'sub/file.txt');
    assert.equal(byName.get(`${prefix}/sub/`)?.header.type, '5');
  });
});

describe("kubectl cp's paths", () => {
  it('follows Go path semantics and kubectl filespec rules', () => {
    assert.equal(clean('a//b/../c/'), 'a/c');
    assert.equal(clean(''), '.');
    assert.equal(dir('/tmp/x.txt'), '/tmp');
    assert.equal(dir('x.txt'), '.');
    assert.equal(base('/tmp/dir/'), 'dir');
    assert.equal(join('/tmp', ''), '/tmp');
    assert.equal(join('', ''), '');
    assert.equal(stripPathShortcuts('../../etc'), 'etc');
    assert.equal(stripPathShortcuts('..'), '');
    assert.ok(isRelative('/tmp/d', '/tmp/d/x'));
    assert.ok(!isRelative('/tmp/d', '/tmp/x'));
    assert.deepEqual(extractFileSpec('ns/pod:/tmp/x/'), { podNamespace: 'ns', podName: 'pod', file: '/tmp/x', remote: true });
    assert.deepEqual(extractFileSpec('./local/'), { podNamespace: '', podName: '', file: './local', remote: false });
    assert.throws(() => extractFileSpec(':x'), { message: FILESPEC_FORMAT_ERROR });
    assert.throws(() => extractFileSpec('a/b/c:x'), { message: FILESPEC_FORMAT_ERROR });
  });
});
