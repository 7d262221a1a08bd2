import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from './log.ts';

const fixedTime = () => new Date('2030-01-02T03:04:05.678Z');

function capture(format: 'json' | 'text', level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const log = createLogger('apiserver', { format, now: fixedTime, write: (l) => lines.push(l), ...(level ? { level } : {}) });
  return { log, lines };
}

test('JSON: one object per line with time, level, component, msg and the fields', () => {
  const { log, lines } = capture('json');
  log.info('listening', { url: 'https://127.0.0.1:6443', port: 6443 });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes('\n'));
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: '2030-01-02T03:04:05.678Z',
    level: 'info',
    component: 'apiserver',
    msg: 'listening',
    url: 'https://127.0.0.1:6443',
    port: 6443,
  });
});

test('JSON: errors keep name, message, code and cause; fields cannot overwrite the core keys', () => {
  const { log, lines } = capture('json');
  const err = Object.assign(new Error('outer', { cause: new TypeError('inner') }), { code: 'EADDRINUSE' });
  log.error('failed', { error: err, msg: 'sneaky', big: 10n });
  const record = JSON.parse(lines[0]!);
  assert.equal(record.msg, 'failed');
  assert.equal(record['field.msg'], 'sneaky');
  assert.equal(record.big, '10');
  assert.deepEqual(record.error, { name: 'Error', message: 'outer', code: 'EADDRINUSE', cause: { name: 'TypeError', message: 'inner' } });
});

test('JSON: an unserialisable field does not lose the record', () => {
  const { log, lines } = capture('json');
  const loop: Record<string, unknown> = {};
  loop['self'] = loop;
  log.warn('odd', { loop });
  assert.equal(JSON.parse(lines[0]!).msg, 'odd');
});

test('levels below the threshold are dropped; debug is off by default', () => {
  const { log, lines } = capture('json');
  log.debug('hidden');
  log.info('shown');
  assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ['shown']);
  const warnOnly = capture('json', 'warn');
  warnOnly.log.info('hidden');
  warnOnly.log.error('shown');
  assert.equal(warnOnly.lines.length, 1);
});

test('text: readable line with quoted values where needed', () => {
  const { log, lines } = capture('text');
  log.warn('slow request', { path: '/api/v1/pods', note: 'took a while', ms: 120 });
  assert.equal(lines[0], '03:04:05.678 WARN  apiserver: slow request path=/api/v1/pods note="took a while" ms=120');
});

test('child loggers extend the component name and keep the settings', () => {
  const { log, lines } = capture('json', 'debug');
  log.child('watch').debug('bookmark');
  assert.equal(JSON.parse(lines[0]!).component, 'apiserver.watch');
});
