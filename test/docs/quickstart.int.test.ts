// The README's five-minute example is a real program: run the built copy and check what it prints,
// then check that the data it left behind reopens with the same state.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, test } from 'vitest';
import { createRuntime } from '../../runtime/index.js';
import { account } from '../../docs/examples/quickstart/account.js';

const run = promisify(execFile);
const main = new URL('../../dist/docs/examples/quickstart/main.js', import.meta.url);
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test('the quickstart prints the rejection, the state and the projected balance, and its data reopens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rehydra-quickstart-'));
  dirs.push(dir);
  const { stdout } = await run(process.execPath, [main.pathname, dir]);
  expect(stdout.split('\n')).toEqual([
    'rejected: insufficient funds',
    'state: {"value":"open","context":{"balance":125},"version":2}',
    'balance: 125',
    '',
  ]);
  const runtime = await createRuntime({ path: dir, aggregates: [account] });
  try {
    expect(await runtime.state('account', 'a-1')).toEqual({ value: 'open', context: { balance: 125 }, version: 2 });
    expect([...runtime.readAll()].map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
  } finally {
    await runtime.close();
  }
});
