// The guide's Troubleshooting section as a program CI builds and runs (test/docs/guide.int.test.ts):
// it makes each error a newcomer meets first and prints its class, code and message, which the
// guide shows verbatim. It writes to a fresh temp directory per run and removes it at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, defineProjection, RehydraError } from 'rehydra';
import { account } from '../quickstart/account.js';

const path = mkdtempSync(join(tmpdir(), 'rehydra-troubleshooting-'));

/** Prints what `attempt` rejects with; the temp path and this process's id are printed as the guide shows them. */
async function show(attempt: Promise<unknown>): Promise<void> {
  try {
    await attempt;
    console.log('no error');
  } catch (error) {
    if (!(error instanceof RehydraError)) throw error;
    console.log(`${error.name} (${error.code}): ${error.message.replaceAll(path, './data').replaceAll(String(process.pid), '4242')}`);
  }
}

const balances = defineProjection({ name: 'balances', module: new URL('./failing.projection.js', import.meta.url) });
const runtime = await createRuntime({
  path,
  aggregates: [account],
  projections: [balances],
  mailboxCapacity: 1, // so that a second command sent before the first is answered overflows it
});
const accounts = runtime.aggregate(account);

await accounts.send('a-1', { type: 'open', owner: 'ann', initial: 100 });
await show(accounts.send('a-1', { type: 'open', owner: 'ann', initial: 100 }));        // opened twice
await show(runtime.send('account', 'a-1', { type: 'deposit', amount: '5' }));           // a field of the wrong type
await show(runtime.send('account', 'a-1', { type: 'close' }));                          // a command the aggregate lacks
await show(runtime.send('acount', 'a-1', { type: 'open' }));                            // a misspelt aggregate type
await show(accounts.send('a-1', { type: 'deposit', amount: 5 }, { expectedVersion: 0 })); // a stale version
const first = accounts.send('a-1', { type: 'deposit', amount: 1 });
await show(accounts.send('a-1', { type: 'deposit', amount: 1 }));                       // the mailbox is full
const { position } = await first;
await show(createRuntime({ path, aggregates: [account] }));                             // a second writer
await show(runtime.projection('balances').waitFor(position, { timeoutMs: 5_000 }));    // its handler threw
await runtime.close();
await show(accounts.send('a-1', { type: 'deposit', amount: 1 }));                       // after close()
rmSync(path, { recursive: true });
