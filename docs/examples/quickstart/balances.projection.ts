// The README's projection: loaded in worker threads, it folds account events into balances.
// Each batch of view changes commits together with the projection's checkpoint (exactly once).
import type { ProjectionView, StoredEvent } from 'rehydra';

export function handle(event: StoredEvent, view: ProjectionView): void {
  const balance = (view.get(event.aggregateId) as number | undefined) ?? 0;
  if (event.type === 'AccountOpened') view.put(event.aggregateId, event.data.initial as number);
  if (event.type === 'MoneyDeposited') view.put(event.aggregateId, balance + (event.data.amount as number));
  if (event.type === 'MoneyWithdrawn') view.put(event.aggregateId, balance - (event.data.amount as number));
}
