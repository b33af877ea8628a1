// In-process subscriptions: catch up from a position, then follow the durable head, delivering
// every event exactly once and in global order. Catch-up runs in chunks between event-loop turns
// so a subscriber far behind does not stall commands.
import type { LogReader, StoredEvent } from '../storage/event-log.js';
import type { SubscribeOptions } from './types.js';

const CHUNK = 1_000;

/** Starts a subscription; returns the function that stops it. */
export function startSubscription(
  log: LogReader,
  upcast: (event: StoredEvent) => StoredEvent,
  options: SubscribeOptions,
  handler: (event: StoredEvent) => void,
): () => void {
  let next = Math.max(1, options.fromPosition ?? 1);
  let active = true;
  let delivering = false;
  let scheduled = false;
  const onError = options.onError ?? ((error: unknown) => console.error('rehydra subscription handler failed:', error));

  const stop = (): void => {
    active = false;
    unlisten();
  };

  const deliver = (): void => {
    scheduled = false;
    if (!active || delivering) return;
    delivering = true;
    try {
      for (const stored of log.readAll({ fromPosition: next, limit: CHUNK })) {
        next = stored.position + 1;
        const event = upcast(stored);
        try {
          handler(event);
        } catch (error) {
          stop();
          onError(error, event);
        }
        if (!active) return;
      }
    } finally {
      delivering = false;
    }
    if (next <= log.headPosition()) schedule();
  };

  const schedule = (): void => {
    if (scheduled || !active) return;
    scheduled = true;
    setImmediate(deliver);
  };

  const unlisten = log.onDurable(schedule);
  schedule();
  return stop;
}
