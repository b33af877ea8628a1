// createTestRuntime on real LMDB: a restart keeps what was acknowledged, dispose removes the folder.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeClosedError } from '../../storage/errors.js';
import { createTestRuntime, type TestRuntime } from '../../testing/index.js';
import { account } from '../../fixtures/bank-account.js';

const opened: TestRuntime[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((test) => test.dispose()));
});

describe('createTestRuntime', () => {
  it('opens a runtime in a fresh temp folder; restart() reopens it with the data kept', async () => {
    const test = await createTestRuntime({ aggregates: [account] });
    opened.push(test);
    expect(existsSync(test.path)).toBe(true);
    const first = test.runtime;
    await first.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    await first.send('account', 'a-1', { type: 'deposit', amount: 5 });
    const second = await test.restart();
    expect(second).not.toBe(first);
    expect(test.runtime).toBe(second);
    await expect(second.state('account', 'a-1')).resolves.toEqual({ value: 'open', context: { balance: 15, owner: 'ann' }, version: 2 });
    await expect(first.state('account', 'a-1')).rejects.toThrow('the runtime is closed');
  });

  it('time travels as the runtime does: version 0 is the initial state, past the head a RangeError naming it', async () => {
    const test = await createTestRuntime({ aggregates: [account], manualClock: true });
    opened.push(test);
    await test.runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    await expect(test.runtime.state('account', 'a-1', { version: 0 })).resolves.toEqual({ value: 'closed', context: { balance: 0, owner: '' }, version: 0 });
    await expect(test.runtime.state('account', 'a-1', { version: 2 })).rejects.toThrow(
      new RangeError('account/a-1 is at version 1, so it has no version 2: ask for a version from 0 to 1'),
    );
  });

  it('dispose() closes the runtime and removes the folder, once; restart() after it throws', async () => {
    const test = await createTestRuntime({ aggregates: [account] });
    await test.runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    await test.dispose();
    await test.dispose();
    expect(existsSync(test.path)).toBe(false);
    await expect(test.restart()).rejects.toThrow(RuntimeClosedError);
    await expect(test.restart()).rejects.toThrow('restart() after dispose()');
  });

  it('two test runtimes get two folders', async () => {
    const [a, b] = await Promise.all([createTestRuntime({ aggregates: [account] }), createTestRuntime({ aggregates: [account] })]);
    opened.push(a, b);
    expect(a.path).not.toBe(b.path);
  });
});
