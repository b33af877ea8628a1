// In-process subscriptions: catch up from a position, then follow the durable head, delivering
// every event exactly once and in global order. Catch-up runs in chunks between event-loop turns
// so a subscriber far behind does not stall commands. Nothing a subscriber does (a throw, a
// rejected promise, an onError that throws) or a read that fails escapes as an uncaught error.
import type { LogReader, StoredEvent } from '../storage/event-log.js';
import { checkPosition } from '../storage/read-options.js';
import type { SubscribeOptions } from './types.js';

const CHUNK = 1_000;

type OnError = NonNullable<SubscribeOptions['onError']>;

const logError: OnError = (error) => console.error('rehydra subscription stopped:', error);

/** Throws a TypeError or RangeError naming the option unless `subscribe`'s arguments are valid. */
function checkSubscribe(options: SubscribeOptions, handler: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('the options of subscribe must be an object');
  checkPosition('subscribe', 'fromPosition', options.fromPosition);
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError(`options.onError of subscribe must be a function (got ${typeof options.onError})`);
  }
  if (typeof handler !== 'function') throw new TypeError(`the handler of subscribe must be a function (got ${typeof handler})`);
}

/** Starts a subscription; returns the function that stops it. */
export function startSubscription(
  log: LogReader,
  upcast: (event: StoredEvent) => StoredEvent,
  options: SubscribeOptions,
  handler: (event: StoredEvent) => unknown,
): () => void {
  checkSubscribe(options, handler);
  let next = Math.max(1, options.fromPosition ?? 1);
  let active = true;
  let delivering = false;
  let scheduled = false;
  const onError = options.onError ?? logError;

  const stop = (): void => {
    active = false;
    unlisten();
  };

  /** Stops the subscription and tells onError; an onError that throws is logged, never rethrown. */
  const fail = (error: unknown, event: StoredEvent | undefined): void => {
    if (!active) return;
    stop();
    try {
      onError(error, event);
    } catch (failure) {
      logError(new Error('the onError of a subscription threw', { cause: failure }), event);
      logError(error, event);
    }
  };

  const deliverOne = (stored: StoredEvent): void => {
    let event = stored;
    try {
      event = upcast(stored);
      const outcome = handler(event);
      // Not awaited (delivery order is the log's), but a rejection stops it like a throw.
      if (outcome instanceof Promise) outcome.catch((error: unknown) => fail(error, event));
    } catch (error) {
      fail(error, event);
    }
  };

  const deliver = (): void => {
    scheduled = false;
    if (!active || delivering) return;
    delivering = true;
    try {
      for (const stored of log.readAll({ fromPosition: next, limit: CHUNK })) {
        next = stored.position + 1;
        deliverOne(stored);
        if (!active) return;
      }
      if (next <= log.headPosition()) schedule();
    } catch (error) {
      // Reading failed (corrupt data, a closed log): there is no event to name.
      fail(error, undefined);
    } finally {
      delivering = false;
    }
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
