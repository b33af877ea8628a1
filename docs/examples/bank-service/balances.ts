// The quickstart's balances projection as the service registers it. Projection handlers run in
// worker threads, and Node 20 runs only JavaScript there, so the module is always the built copy.
import { defineProjection } from 'rehydra';

/** The URL of the built balances projection: its dist/ sibling when this file runs from sources (vitest). */
export function balancesModuleUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../../dist/docs/examples/quickstart/balances.projection.js', import.meta.url)
    : new URL('../quickstart/balances.projection.js', import.meta.url);
}

/** Account balances by account id, folded from the account events. */
export const balances = defineProjection({ name: 'balances', module: balancesModuleUrl() });
