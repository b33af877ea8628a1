// Load-tests the bank service over loopback with autocannon for a bounded time: deposits to
// accounts drawn at random, so the figure includes HTTP parsing, JSON and the runtime's group
// commit (durability: 'sync'). `npm run example:load -- --help` lists the options.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
// The repository's own command-line reader (not part of the package): one-line mistakes, exit 2.
import { integerOption, readCommandLine, UsageError } from '../../../cli/command-line.js';
import { createProgressLine } from '../../../cli/progress-line.js';
import { startBankService } from './server.js';

const HELP = `usage: npm run example:load -- [options]

Starts the bank service on a loopback port over a fresh temporary data directory, opens the
accounts, then deposits to accounts drawn at random for the given time, with progress on
stderr, and prints requests/s and latency.

options:
  --duration <s>       seconds of load (default 10)
  --connections <n>    concurrent HTTP connections (default 64)
  --accounts <n>       accounts the deposits are spread over (default 1000)
  -h, --help           print this and exit

example:
  npm run build && npm run example:load -- --duration 30 --connections 128`;

const OPTIONS = {
  duration: { type: 'string', expects: 'a number of seconds, e.g. --duration 10' },
  connections: { type: 'string', expects: 'a number of connections, e.g. --connections 64' },
  accounts: { type: 'string', expects: 'a number of accounts, e.g. --accounts 1000' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The run's settings, or undefined once --help was printed or a mistake reported (exit code 2). */
function readSettings(): { duration: number; connections: number; accounts: number } | undefined {
  try {
    const { values } = readCommandLine(process.argv.slice(2), OPTIONS);
    if (values.help === true) {
      console.log(HELP);
      return undefined;
    }
    return {
      duration: integerOption('duration', values.duration ?? '10', 1),
      connections: integerOption('connections', values.connections ?? '64', 1),
      accounts: integerOption('accounts', values.accounts ?? '1000', 1),
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`load-test: ${error.message} (see --help)\n`);
    process.exitCode = 2;
    return undefined;
  }
}

/** Runs autocannon, with a progress line on stderr: seconds done and requests so far. */
function runLoad(options: autocannon.Options & { duration: number }): Promise<autocannon.Result> {
  const progress = createProgressLine(process.stderr, true);
  let seconds = 0;
  let requests = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => {
      progress?.end();
      if (error) reject(error);
      else resolve(result);
    });
    instance.on('response', () => {
      requests++;
    });
    // autocannon ticks once a second, and once more as it stops (not worth a second last line).
    instance.on('tick', () => {
      if (seconds === options.duration) return;
      seconds++;
      progress?.update(`load: ${seconds}/${options.duration} s, ${requests} requests`, true);
    });
  });
}

const settings = readSettings();
if (settings) await loadTest(settings);

async function loadTest({ duration, connections, accounts }: { duration: number; connections: number; accounts: number }): Promise<void> {
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

    const result = await runLoad({
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
}
