// Runs the bank service from the command line until SIGINT/SIGTERM, then closes it cleanly so
// every acknowledged command is durable and the data directory is released.
// Usage: node dist/docs/examples/bank-service/main.js [dataDir] [port]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBankService } from './server.js';

const USAGE = `usage: node dist/docs/examples/bank-service/main.js [dataDir] [port]

Serves the bank accounts over HTTP until SIGINT/SIGTERM, then closes cleanly.
  dataDir   the data directory (default: a fresh temp directory)
  port      the TCP port, 0 to 65535 (default: 8080; 0 picks a free one)

example:
  node dist/docs/examples/bank-service/main.js ./bank-data 8080`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const port = Number(process.argv[3] ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  // One line and exit code 2, as every tool here refuses a bad value (no stack trace).
  console.error(`bank service: port must be an integer from 0 to 65535 (got "${process.argv[3]}"); see --help`);
  process.exit(2);
}
const path = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'rehydra-bank-'));

const service = await startBankService({ path, port });
console.log(`bank service on ${service.url} (data: ${path})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
