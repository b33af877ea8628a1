// The README's projection: loaded in worker threads, it folds account events into balances.
// Each batch of view changes commits together with the projection's checkpoint (exactly once).
import type { EventOf, ProjectionView, StoredEvent } from 'rehydra';
import type { account } from './account.js';

export function handle(event: StoredEvent<EventOf<typeof account>>, view: ProjectionView): void {
  const balance = (view.get(event.aggregateId) as number | undefined) ?? 0;
  if (event.type === 'AccountOpened') view.put(event.aggregateId, event.data.initial);
  if (event.type === 'MoneyDeposited') view.put(event.aggregateId, balance + event.data.amount);
  if (event.type === 'MoneyWithdrawn') view.put(event.aggregateId, balance - event.data.amount);
}
