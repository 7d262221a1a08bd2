import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { mergedUsrPath, parseLdd, sharedLibraries } from './libraries.ts';

describe('shared libraries', () => {
  it('parses ldd: libraries, the interpreter, no vdso, missing ones apart', () => {
    const out = `	linux-vdso.so.1 (0x00007ffd5a3f2000)
	libpcre2-8.so.0 => /lib/x86_64-linux-gnu/libpcre2-8.so.0 (0x00007f1eee135000)
	libgone.so.9 => not found
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1eed9ff000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f1eee372000)
`;
    assert.deepEqual(parseLdd(out), {
      found: ['/lib/x86_64-linux-gnu/libpcre2-8.so.0', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'],
      missing: ['libgone.so.9'],
    });
  });

  it('places /lib, /lib64 and /bin paths under usr/ (merged /usr)', () => {
    assert.equal(mergedUsrPath('/lib/x86_64-linux-gnu/libc.so.6'), 'usr/lib/x86_64-linux-gnu/libc.so.6');
    assert.equal(mergedUsrPath('/lib64/ld-linux-x86-64.so.2'), 'usr/lib64/ld-linux-x86-64.so.2');
    assert.equal(mergedUsrPath('/usr/lib/x86_64-linux-gnu/libz.so.1'), 'usr/lib/x86_64-linux-gnu/libz.so.1');
    assert.equal(mergedUsrPath('/library/x'), 'library/x');
  });

  it('finds the libraries a host program loads, libc among them', async () => {
    const libs = await sharedLibraries('/usr/bin/dpkg');
    assert.ok(libs.some((l) => /\/libc\.so\.6$/.test(l.path)), JSON.stringify(libs));
    for (const l of libs) {
      assert.equal(l.path, l.source);
      assert.ok(existsSync(l.source), l.source);
    }
  });
});
