// The guide's cluster section as one program that CI builds and runs (test/docs/guide.int.test.ts)
// against a nats-server it starts: two nodes, in one process here for the example (in production,
// one per machine), serve one set of accounts. NATS_URL names the server (default: a local one).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime } from 'rehydra';
import { account } from '../quickstart/account.js';

const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const name = `guide${Date.now().toString(36)}`; // a fresh cluster per run, so it reruns from anywhere
const dirs: string[] = [];

async function startNode(nodeId: string): Promise<Runtime> {
  const path = mkdtempSync(join(tmpdir(), `rehydra-node-${nodeId}-`)); // a service passes its own, e.g. './node-a'
  dirs.push(path);
  return createRuntime({
    path,                // this node's replica of the log, snapshots, views, timer index
    aggregates: [account],
    cluster: {
      servers,           // one URL, a comma-separated list, or an array
      name,              // the cluster: one JetStream stream and one lease bucket per name
      nodeId,            // unique per node; keep it (and its path) across restarts
      partitions: 8,     // default 64; never change it once the cluster has data
      replicas: 1,       // default 3: one server here; 3 on a real NATS cluster
      leaseMs: 2_000,    // default 5000: a dead node's partitions serve again within two of these
      // connection: { user: 'bank-a', pass: process.env.NATS_PASS }, // credentials, tls: docs/operations.md
    },
  });
}

const a = await startNode('a');
const b = await startNode('b');
// b joined after a took every partition: a hands over b's share at its next renewal.
const served = (node: Runtime): number => node.metrics().cluster!.partitions.length;
while (served(b) === 0 || served(a) + served(b) !== 8) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log('a serves', served(a), 'partitions, b serves', served(b));

for (const id of ['a-1', 'a-2', 'a-3', 'a-4']) {
  await a.send('account', id, { type: 'open', owner: 'ann', initial: 10 });   // sent to a, run by the owner
  await b.send('account', id, { type: 'deposit', amount: 5 });               // sent to b, run by the owner
}
const r = await b.send('account', 'a-1', { type: 'withdraw', amount: 3 }, { commandId: 'w-1' });
console.log('withdrew: version', r.version, 'position', r.position);
console.log('state on a:', await a.state('account', 'a-1'));
console.log('events on b:', [...b.readAll()].length, '(the same positions on every node)');
console.log('commands run: a', a.metrics().commandsAccepted, '+ b', b.metrics().commandsAccepted);

await a.close();        // a finishes what it accepted and gives its partitions back at once
const again = await b.send('account', 'a-1', { type: 'withdraw', amount: 3 }, { commandId: 'w-1' });
console.log('after a closed, b answers a repeated commandId with the first result:', again.position === r.position);
await b.close();
for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
