// Crash safety through the runtime: a child process sends hundreds of concurrent deposits to 50
// accounts and prints each command only once send() resolved; it is SIGKILLed at random points,
// several rounds on one data directory. After every kill, a fresh runtime finds every
// acknowledged command where it was acknowledged, a gapless log, consecutive versions, each
// account's state equal to the fold of its events, and the acknowledged commandIds remembered:
// repeating one returns exactly its first result (events included), also for commands that
// appended nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createRuntime } from '../../runtime/runtime.js';
import type { StoredEvent } from '../../storage/event-log.js';
import { account } from '../../fixtures/bank-account.js';
import type { RuntimeCrashAck } from '../fixtures/runtime-crash-load.js';
import { compiledFixture, runFixture } from '../fixtures/child-fixture.js';
import { foldAccount, tempDataDir } from '../fixtures/runtime-kit.js';

const ROUNDS = 4;
const ACCOUNTS = 50;

async function verify(path: string, acks: readonly RuntimeCrashAck[], context: string): Promise<number> {
  const runtime = await createRuntime({ path, aggregates: [account] });
  try {
    const all = [...runtime.readAll()];
    const head = runtime.metrics().headPosition;
    expect(all.map((e) => e.position), `${context}: gapless 1..head`).toEqual(Array.from({ length: head }, (_, i) => i + 1));

    for (const ack of acks) {
      const first = ack.position - ack.amounts.length + 1;
      const events = all.slice(first - 1, ack.position);
      const key = ack.type === 'AccountOpened' ? 'initial' : 'amount';
      expect(events.map((e) => [e.aggregateId, e.version, e.type, e.data[key]]), `${context}: acknowledged ${JSON.stringify(ack)}`)
        .toEqual(ack.amounts.map((amount, i) => [ack.id, ack.version - ack.amounts.length + 1 + i, ack.type, amount]));
    }

    const byAccount = new Map<string, StoredEvent[]>();
    for (const event of all) {
      const events = byAccount.get(event.aggregateId) ?? [];
      events.push(event);
      byAccount.set(event.aggregateId, events);
    }
    expect(byAccount.size, context).toBe(ACCOUNTS);
    for (const [id, events] of byAccount) {
      expect(events.map((e) => e.version), `${context}: versions of ${id}`).toEqual(events.map((_, i) => i + 1));
      expect([...runtime.readStream('account', id)], `${context}: stream of ${id}`).toEqual(events);
      const fold = foldAccount(events);
      expect(await runtime.state('account', id), `${context}: state of ${id}`)
        .toEqual({ value: fold.value, context: { balance: fold.balance, owner: fold.owner }, version: events.length });
    }

    // Acknowledged commandIds survive the crash: repeating one returns its result and appends nothing.
    // The latest are the likeliest to be in the ledger's journal only; the earliest are in its table.
    const ledgered = acks.filter((a) => a.commandId !== undefined);
    for (const ack of [...ledgered.slice(0, 5), ...ledgered.slice(-20), ...ledgered.filter((a) => a.type === 'none').slice(-5)]) {
      const repeated = await runtime.send('account', ack.id, { type: 'deposit', amount: 1 }, { commandId: ack.commandId! });
      const first = ack.position - ack.amounts.length + 1;
      expect(repeated, `${context}: repeat of ${ack.commandId}`).toEqual({
        version: ack.version, position: ack.position, events: all.slice(first - 1, ack.position),
      });
    }
    expect(runtime.metrics().headPosition, `${context}: repeats append nothing`).toBe(head);
    return head;
  } finally {
    await runtime.close();
  }
}

describe('runtime after SIGKILL', () => {
  let path: string;
  beforeAll(() => {
    compiledFixture('runtime-crash-load');
    path = tempDataDir();
  });
  afterAll(() => path && rmSync(path, { recursive: true, force: true }));

  it(`keeps every acknowledged command, gapless, with states equal to replay (${ROUNDS} rounds)`, async () => {
    const seed = Date.now() % 1_000_000;
    const acks: RuntimeCrashAck[] = [];
    let head = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const context = `seed ${seed}, round ${round}`;
      const child = runFixture(compiledFixture('runtime-crash-load'), [path, String(seed + round)]);
      // Kill after a random number of acknowledgements: with hundreds in flight, mid-commit.
      const killAfter = (round === 1 ? ACCOUNTS : 0) + 100 + ((seed * round * 7919) % 900);
      await child.waitForLines(killAfter);
      await child.kill();
      const printed = child.lines.map((line) => JSON.parse(line) as RuntimeCrashAck);
      expect(printed.length, context).toBeGreaterThanOrEqual(killAfter);
      acks.push(...printed);
      const next = await verify(path, acks, context);
      expect(next, `${context}: the log only grows`).toBeGreaterThan(head);
      head = next;
    }
    expect(acks.filter((a) => a.type === 'AccountOpened').length).toBe(ACCOUNTS);
  });
});
