// Runs the bank service from the command line until SIGINT/SIGTERM, then closes it cleanly so
// every acknowledged command is durable and the data directory is released.
// Usage: node dist/docs/examples/bank-service/main.js [dataDir] [port]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBankService } from './server.js';

const path = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'rehydra-bank-'));
const port = Number(process.argv[3] ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port must be an integer from 0 to 65535 (got ${process.argv[3]})`);

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
