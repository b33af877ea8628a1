// A map keyed by (aggregate type, aggregate id) without building a "type/id" string per lookup:
// the hot path looks streams up several times per command, and a fresh concatenated key has to
// be allocated, flattened and hashed each time, where an id string's hash is cached by V8.

/** Values by stream, two levels deep (type, then id). */
export class StreamMap<V> {
  private readonly byType = new Map<string, Map<string, V>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(type: string, id: string): V | undefined {
    return this.byType.get(type)?.get(id);
  }

  set(type: string, id: string, value: V): void {
    let ids = this.byType.get(type);
    if (!ids) this.byType.set(type, (ids = new Map()));
    const before = ids.size;
    ids.set(id, value);
    this.count += ids.size - before;
  }

  delete(type: string, id: string): void {
    const ids = this.byType.get(type);
    if (ids?.delete(id)) this.count--;
  }

  /** Every entry as [type, id, value]. */
  *entries(): IterableIterator<[string, string, V]> {
    for (const [type, ids] of this.byType) for (const [id, value] of ids) yield [type, id, value];
  }

  clear(): void {
    this.byType.clear();
    this.count = 0;
  }
}
