// The scenario's projection: the sum of each counter's additions.
export function handle(event, view) {
  view.put(event.aggregateId, (view.get(event.aggregateId) ?? 0) + event.data.by);
}
