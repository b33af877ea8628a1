// The README's five-minute example, run by CI: a durable aggregate, a projection in worker
// threads, read-your-writes with waitFor. Usage: node dist/docs/examples/quickstart/main.js [dataDir]
// It reruns on its own data: the set-up commands carry commandIds, so a second run gets their
// first results back instead of opening a-1 twice (test/docs/quickstart.int.test.ts runs it twice).
import { createRuntime, defineProjection } from 'rehydra';
import { account } from './account.js';

const balances = defineProjection({ name: 'balances', module: new URL('./balances.projection.js', import.meta.url) });
const runtime = await createRuntime({ path: process.argv[2] ?? './data', aggregates: [account], projections: [balances] });
const accounts = runtime.aggregate(account);                 // commands, state and events typed from the definition

await accounts.send('a-1', { type: 'open', owner: 'ann', initial: 100 }, { commandId: 'open-1' }); // a rerun returns the first result
const r = await accounts.send('a-1', { type: 'deposit', amount: 25 }, { commandId: 'dep-1' });
await accounts.send('a-1', { type: 'withdraw', amount: 500 }).catch((e: Error) => console.log('rejected:', e.message));

const view = runtime.projection('balances');
await view.waitFor(r.position);                              // read your own writes
console.log('state:', JSON.stringify(await accounts.state('a-1'))); // {"value":"open","context":{"balance":125},"version":2}
console.log('balance:', await view.get('a-1'));              // 125
await runtime.close();
