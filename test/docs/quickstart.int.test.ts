// The README's five-minute example is a real program: run the built copy and check what it prints,
// then check that the data it left behind reopens with the same state, and that it reruns on it.
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

const printed = ['rejected: insufficient funds', 'state: {"value":"open","context":{"balance":125},"version":2}', 'balance: 125', ''];

test('the quickstart prints the rejection, the state and the projected balance, and its data reopens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rehydra-quickstart-'));
  dirs.push(dir);
  const { stdout } = await run(process.execPath, [main.pathname, dir]);
  expect(stdout.split('\n')).toEqual(printed);
  const runtime = await createRuntime({ path: dir, aggregates: [account] });
  try {
    expect(await runtime.state('account', 'a-1')).toEqual({ value: 'open', context: { balance: 125 }, version: 2 });
    expect([...runtime.readAll()].map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
  } finally {
    await runtime.close();
  }
});

test('run again on its own ./data, the quickstart prints the same and stores nothing more (its set-up carries commandIds)', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'rehydra-quickstart-rerun-'));
  dirs.push(cwd);
  for (const attempt of [1, 2]) {
    const { stdout } = await run(process.execPath, [main.pathname], { cwd });
    expect(stdout.split('\n'), `run ${attempt}`).toEqual(printed);
  }
  const runtime = await createRuntime({ path: join(cwd, 'data'), aggregates: [account] });
  try {
    expect([...runtime.readAll()].map((e) => `${e.aggregateId} ${e.type} v${e.version}`)).toEqual(['a-1 AccountOpened v1', 'a-1 MoneyDeposited v2']);
  } finally {
    await runtime.close();
  }
});
