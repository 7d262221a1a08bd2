import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from './cli.ts';

test('each lazily loaded command has the name and summary its module declares', async () => {
  for (const entry of COMMANDS) {
    if (!('load' in entry)) continue;
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    assert.equal(command.summary, entry.summary, `summary of ${entry.name}`);
  }
});
