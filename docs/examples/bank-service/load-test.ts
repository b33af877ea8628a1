// Load-tests the bank service over loopback with autocannon for a bounded time: deposits to
// accounts drawn at random, so the figure includes HTTP parsing, JSON and the runtime's group
// commit (durability: 'sync'). Usage: node dist/docs/examples/bank-service/load-test.js
//   [--duration 10] [--connections 64] [--accounts 1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startBankService } from './server.js';

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`--${flag} must be a positive integer (got ${text})`);
  return value;
}

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    accounts: { type: 'string', default: '1000' },
  },
});
const duration = positiveInteger(values.duration, 'duration');
const connections = positiveInteger(values.connections, 'connections');
const accounts = positiveInteger(values.accounts, 'accounts');

const dir = mkdtempSync(join(tmpdir(), 'rehydra-bank-load-'));
const service = await startBankService({ path: dir, port: 0 });
try {
  // Accounts are opened untimed, some in flight at once, so the run measures deposits only.
  const ids = Array.from({ length: accounts }, (_, i) => `acc-${i}`);
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(ids.slice(i, i + 100).map(async (id) => {
      const res = await fetch(`${service.url}/accounts/${id}/open`, {
        method: 'POST', body: JSON.stringify({ owner: id, initial: 0 }), headers: { 'content-type': 'application/json' },
      });
      if (res.status !== 200) throw new Error(`opening ${id} failed with ${res.status}: ${await res.text()}`);
    }));
  }

  const result = await autocannon({
    url: service.url,
    connections,
    duration,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1 }),
      setupRequest: (request) => ({ ...request, path: `/accounts/acc-${Math.floor(Math.random() * accounts)}/deposit` }),
    }],
  });

  const ok = result['2xx'];
  console.log(`bank service load test: ${duration} s, ${connections} connections, ${accounts} accounts, deposits over loopback`);
  console.log(`requests/s: ${result.requests.average.toFixed(0)} (mean of per-second samples; ${ok} 2xx, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
  console.log(`latency ms: p50 ${result.latency.p50} · p99 ${result.latency.p99} · max ${result.latency.max}`);
  if (result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
} finally {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
}
