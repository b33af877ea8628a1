// The bank service's lifecycle: one runtime and one HTTP server that start and close together.
// It binds loopback unless told otherwise, because it has no authentication of its own.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createRuntime } from 'rehydra';
import { account } from '../quickstart/account.js';
import { balances } from './balances.js';
import { createRequestListener } from './routes.js';

/** Options of `startBankService`. */
export interface BankServiceOptions {
  /** The runtime's data directory (LMDB). */
  readonly path: string;
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** The service's prom-client registry, served on /metrics with the runtime's metrics in it. @default a new Registry */
  readonly registry?: Registry;
}

/** A running bank service. */
export interface BankService {
  /** Base URL, e.g. http://127.0.0.1:39213 */
  readonly url: string;
  /** Stops accepting connections, drops idle keep-alive ones, then closes the runtime. */
  close(): Promise<void>;
}

/**
 * Starts the example HTTP service over a runtime with the quickstart's account and balances.
 * @example const service = await startBankService({ path: './data', port: 8080 });
 */
export async function startBankService(options: BankServiceOptions): Promise<BankService> {
  const registry = options.registry ?? new Registry();
  // One registry for the service and the runtime: /metrics serves both, as a scraper expects.
  const runtime = await createRuntime({ path: options.path, aggregates: [account], projections: [balances], metrics: { registry } });
  const server = createServer(createRequestListener({ runtime, registry }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const { address, family, port } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await runtime.close();
    },
  };
}
