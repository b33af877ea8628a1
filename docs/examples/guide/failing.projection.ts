// The Troubleshooting section's broken projection: its handler throws at the first deposit, so the
// partition stops there and waitFor past it rejects with ProjectionFailedError.
import type { EventOf, ProjectionView, StoredEvent } from 'rehydra';
import type { account } from '../quickstart/account.js';

export function handle(event: StoredEvent<EventOf<typeof account>>, view: ProjectionView): void {
  if (event.type === 'MoneyDeposited') throw new Error(`no rule for ${event.type} yet`);
  view.put(event.aggregateId, event.version);
}
