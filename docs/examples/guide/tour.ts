// The guide's runtime sections as one program that CI builds and runs (test/docs/guide.int.test.ts);
// each code block of docs/guide.md is cut from this file or testing.ts, and
// test/docs/snippets.test.ts fails when they drift apart. It writes to a fresh temp directory per
// run and removes it at the end, so it reruns from anywhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, defineAggregate, defineProjection } from 'rehydra';
import { account } from '../quickstart/account.js';

const balances = defineProjection({
  name: 'balances',
  module: new URL('./balances.projection.js', import.meta.url), // a built .js file
  partitions: 2,                                  // optional: split by aggregate id across workers
  filter: { aggregateTypes: ['account'] },        // optional: aggregateTypes and/or eventTypes
});

const path = mkdtempSync(join(tmpdir(), 'rehydra-tour-')); // fresh per run; a service passes its own, e.g. './data'
const runtime = await createRuntime({
  path,                      // the data directory (created if missing)
  aggregates: [account],
  projections: [balances],   // optional
  durability: 'sync',        // default: acknowledge after fsync; 'async' acknowledges at commit
  mailboxCapacity: 1024,     // default: commands and state() queries queued or in flight per aggregate
  idleTimeoutMs: 60_000,     // default: passivate an actor idle this long (0: never)
  maxActiveActors: 100_000,  // default: hard cap on live actors; idle ones are passivated to make room
  workers: 2,                // default min(2, cores): projection worker threads
  commandIdRetentionMs: 86_400_000, // default: how long a repeated commandId returns the first result
  commandIdRetentionCount: 1_000_000, // default: how many of the newest commandIds are remembered
});

await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
await runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
await runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });

const r = await runtime.send('account', 'a-1', { type: 'deposit', amount: 5 },
  { expectedVersion: 3, commandId: 'c-42', metadata: { userId: 'u-7' } });
// r = { version: 4, position: 1234, events: [StoredEvent] }
console.log('sent:', r.version, r.events[0]?.metadata.userId);

await runtime.state('account', 'a-1');                  // { value: 'open', context: {...}, version }
await runtime.state('account', 'a-1', { version: 2 });  // as of version 2
await runtime.state('account', 'a-1', { at: new Date('2026-11-01') }); // as of a time
for await (const e of runtime.readStream('account', 'a-1', { fromVersion: 1 })) { /* … */ }
for await (const e of runtime.readAll({ fromPosition: 1 })) { /* … */ }  // plain for…of works too
const stop = runtime.subscribe({ fromPosition: 1 }, (e) => { /* catch-up, then live */ });
stop();

const accountV2 = defineAggregate({
  type: 'account',
  machine: account.machine,
  commands: { deposit: (cmd: { amount: number }) => ({ type: 'MoneyDeposited', amount: cmd.amount }) },
  upcasters: {
    // v1 stored cents; v2's machine expects an amount
    MoneyDeposited: (e) => ('cents' in e.data ? { ...e, data: { amount: (e.data.cents as number) / 100 } } : e),
  },
});
console.log('upcasters:', Object.keys(accountV2.upcasters).join(','));

// The fingerprint sees the machine's own code, not what it closes over: a rate read from a module
// variable or a helper it calls. When only such a thing changes, bump snapshotVersion.
const FEE_RATE = 0.01; // was 0.02: old snapshots hold balances computed at the old rate
const feeCharging = defineAggregate({
  type: 'account',
  machine: account.machine.provide({ actions: {} }),
  commands: { charge: (cmd: { amount: number }) => ({ type: 'MoneyWithdrawn', amount: cmd.amount * FEE_RATE }) },
  snapshotVersion: 2,   // was 1: every snapshot written before is ignored (full replay), never misapplied
});
console.log('snapshot fingerprint changed:', feeCharging.fingerprint !== account.fingerprint);

const p = runtime.projection('balances');
await p.waitFor(r.position, { timeoutMs: 5_000 }); // read your own writes
p.get('a-1');                                      // read the view on the main thread (await works too)
p.query({ start: 'a-', end: 'a-\uffff', limit: 100 });
p.status();                                        // { position, lag, error?, partitions, rebuilding }
await p.rebuild();                                 // rebuild from position 1, switch when caught up
await p.resume();                                  // after a handler error

console.log('balance:', p.get('a-1'), 'lag:', p.status().lag);
await runtime.close();
rmSync(path, { recursive: true });
