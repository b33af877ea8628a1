// The `logger` option, by the lines a pino-compatible logger receives: a snapshot not written, a
// mailbox full (once a second, with the refusals since), a projection stopped and resumed, a timer
// fired late; and nothing logged at all on a run where none of that happens.
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { MailboxFullError } from '../../actors/errors.js';
import { defineProjection } from '../../projections/define-projection.js';
import { RuntimeLog, type RuntimeLogger } from '../../runtime/runtime-log.js';
import { account, accountMachine, type AccountEvent } from '../../fixtures/bank-account.js';
import { power } from '../fixtures/runtime-aggregates.js';
import { projectionModule } from '../fixtures/projection-kit.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

type Line = [level: 'info' | 'warn' | 'error', obj: Record<string, unknown>, msg: string];

/** A logger that records its lines, shaped as pino's (object first, message second). */
function recorder(): RuntimeLogger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line[0]) => (obj: object, msg: string) => void lines.push([level, obj as Record<string, unknown>, msg]);
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('the runtime logger', () => {
  it('logs nothing on a run where the runtime has nothing to tell', async () => {
    const logger = recorder();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account], logger });
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    await harness.close(runtime);
    expect(logger.lines).toEqual([]);
  });

  it('warns of a snapshot that could not be written, naming the aggregate', async () => {
    const logger = recorder();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [power], logger });
    await runtime.send('power', 'p-1', { type: 'raise', exponent: 70 });
    // The second event is a snapshot point (snapshotEvery 2): its state holds 2n ** 70n.
    await runtime.send('power', 'p-1', { type: 'raise', exponent: 70 });
    await vi.waitFor(() => expect(logger.lines).toHaveLength(1));
    const [[level, obj, msg]] = logger.lines as [Line];
    expect([level, obj.event, obj.aggregateType, obj.aggregateId, msg]).toEqual([
      'warn', 'rehydra.snapshot_failed', 'power', 'p-1', 'rehydra: snapshot not written (commands are unaffected; rehydration replays more events)',
    ]);
    expect((obj.err as Error).message).toContain('power/p-1');
  });

  it('warns of a full mailbox once, counting the refusals', async () => {
    const logger = recorder();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account], logger, mailboxCapacity: 1 });
    const first = runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    const refused = [1, 2, 3].map((amount) => runtime.send('account', 'a-1', { type: 'deposit', amount }));
    for (const refusal of refused) await expect(refusal).rejects.toBeInstanceOf(MailboxFullError);
    await first;
    expect(logger.lines).toEqual([['warn', { event: 'rehydra.mailbox_full', aggregateType: 'account', aggregateId: 'a-1', capacity: 1, refused: 1 },
      'rehydra: mailbox full, commands refused with MailboxFullError (the aggregate is overloaded)']]);
  });

  it('logs a projection stopped on a throwing handler as an error, and its resume', async () => {
    const logger = recorder();
    const path = harness.dir();
    const flagged = defineAggregate({
      type: 'account',
      machine: accountMachine,
      commands: {
        open: (cmd: { owner: string }): AccountEvent => ({ type: 'AccountOpened', owner: cmd.owner, initial: 0 }),
        deposit: (cmd: { amount: number; poisonFlag: string }) => ({ type: 'MoneyDeposited', amount: cmd.amount, poisonFlag: cmd.poisonFlag }) as AccountEvent,
      },
    });
    const poisoned = defineProjection({ name: 'poisoned', module: projectionModule('poison') });
    const runtime = await harness.open({ path, aggregates: [flagged], projections: [poisoned], logger });
    const flag = join(path, 'poison.flag');
    writeFileSync(flag, '');
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann' });
    const { position } = await runtime.send('account', 'a-1', { type: 'deposit', amount: 5, poisonFlag: flag });
    await expect(runtime.projection('poisoned').waitFor(position)).rejects.toMatchObject({ code: 'ERR_PROJECTION_FAILED' });
    expect(logger.lines).toEqual([['error', {
      event: 'rehydra.projection_stopped', projection: 'poisoned', generation: 1, code: 'ERR_PROJECTION_FAILED',
      message: 'poisoned MoneyDeposited of a-1', position, partition: 0,
    }, `rehydra: projection "poisoned" stopped at position ${position}; fix the cause and call resume()`]]);
    unlinkSync(flag);
    await runtime.projection('poisoned').resume();
    expect(logger.lines[1]).toEqual(['info', { event: 'rehydra.projection_resumed', projection: 'poisoned', generation: 1, partitions: [0] },
      'rehydra: projection "poisoned" resumed']);
  });
});

describe('RuntimeLog', () => {
  const stream = { type: 'account', id: 'a-1' };

  it('warns of timers over a second late, tells those that came due while no runtime ran as info, once a second each', () => {
    const logger = recorder();
    const log = new RuntimeLog(logger);
    log.timerFired(stream, 5_000, 999, false, 0);
    log.timerFired(stream, 5_000, 1_500, false, 0);
    log.timerFired(stream, 5_000, 60_000, true, 0);
    log.timerFired(stream, 5_000, 61_000, true, 10);
    log.timerFired(stream, 6_000, 1_200, false, 20);
    log.timerFired(stream, 7_000, 2_000, false, 1_000);
    expect(logger.lines.map(([level, obj, msg]) => [level, obj.event, obj.dueAt, obj.latenessMs, obj.overdue, obj.timers, msg])).toEqual([
      ['warn', 'rehydra.timer_late', 5_000, 1_500, false, 1, 'rehydra: timers fired late'],
      ['info', 'rehydra.timer_late', 5_000, 60_000, true, 1, 'rehydra: timers fired after a restart, past their deadline'],
      ['warn', 'rehydra.timer_late', 7_000, 2_000, false, 2, 'rehydra: timers fired late'],
    ]);
  });

  it('tells a full mailbox at most once a second, with the refusals since the previous line', () => {
    const logger = recorder();
    const log = new RuntimeLog(logger);
    for (const now of [0, 10, 500, 999, 1_000, 1_200, 2_500]) log.mailboxFull(stream, 8, now);
    expect(logger.lines.map(([, obj]) => obj.refused)).toEqual([1, 4, 2]);
  });
});
