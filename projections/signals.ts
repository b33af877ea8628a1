// Shared memory between the host and its workers, so that following the head costs the main
// thread one atomic store per commit and no message: the host publishes the durable head and a
// stop flag; each partition publishes the position it applied and reads the one a reader awaits.

const HEAD = 0;
const STOP = 1;
const WANTED = 0;
const RETIRED = 1;
const FOREIGN_WRITES = 2;
const APPLIED = 3;

/** Host → workers: the durable head and whether to stop. */
export class HostSignals {
  readonly buffer = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
  private readonly cells = new BigInt64Array(this.buffer);

  /** Publishes a new durable head and wakes workers waiting for one. */
  publishHead(head: number): void {
    Atomics.store(this.cells, HEAD, BigInt(head));
    Atomics.notify(this.cells, HEAD);
  }

  /** Asks every worker to return after the batch it is committing. */
  stop(): void {
    Atomics.store(this.cells, STOP, 1n);
    Atomics.notify(this.cells, HEAD);
  }
}

/**
 * One view generation: the position readers await, a retired flag, whether any partition wrote a
 * key other than its event's aggregate id, and per partition the applied position.
 */
export class GenerationSignals {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: BigInt64Array;

  constructor(partitions: number) {
    this.buffer = new SharedArrayBuffer((APPLIED + partitions) * BigInt64Array.BYTES_PER_ELEMENT);
    this.cells = new BigInt64Array(this.buffer);
  }

  /** Seeds a partition's applied position from its stored checkpoint. */
  initApplied(partition: number, position: number): void {
    Atomics.store(this.cells, APPLIED + partition, BigInt(position));
  }

  /** The position partition `partition` has committed. */
  applied(partition: number): number {
    return Number(Atomics.load(this.cells, APPLIED + partition));
  }

  /** Workers wake the host (a pool message) when a partition reaches this position; 0 for none. */
  setWanted(position: number): void {
    Atomics.store(this.cells, WANTED, BigInt(position));
  }

  /** Asks this generation's workers to return (it was replaced by a rebuild). */
  retire(): void {
    Atomics.store(this.cells, RETIRED, 1n);
  }
}

/** The worker's side of both blocks, for one partition. */
export class PartitionSignals {
  private readonly host: BigInt64Array;
  private readonly generation: BigInt64Array;

  constructor(host: SharedArrayBuffer, generation: SharedArrayBuffer, private readonly partition: number) {
    this.host = new BigInt64Array(host);
    this.generation = new BigInt64Array(generation);
  }

  head(): number {
    return Number(Atomics.load(this.host, HEAD));
  }

  stopped(): boolean {
    return Atomics.load(this.host, STOP) !== 0n || Atomics.load(this.generation, RETIRED) !== 0n;
  }

  /**
   * Publishes a committed position; true when it reached the position a reader awaits (stored
   * before reading `wanted`, and the host stores `wanted` before re-reading `applied`, so one of
   * the two always sees the other).
   */
  publishApplied(from: number, to: number): boolean {
    Atomics.store(this.generation, APPLIED + this.partition, BigInt(to));
    const wanted = Number(Atomics.load(this.generation, WANTED));
    return wanted > from && wanted <= to;
  }

  /** Records, before the write commits, that this generation's partitions may now write each other's keys. */
  markForeignWrites(): void {
    if (Atomics.load(this.generation, FOREIGN_WRITES) === 0n) Atomics.store(this.generation, FOREIGN_WRITES, 1n);
  }

  /** Whether any partition of the generation wrote (or is about to commit) a key it does not own. */
  foreignWrites(): boolean {
    return Atomics.load(this.generation, FOREIGN_WRITES) !== 0n;
  }

  /** Blocks until the head moves past `head`, a stop, or `timeoutMs`; true if the head moved. */
  waitForHead(head: number, timeoutMs: number): boolean {
    Atomics.wait(this.host, HEAD, BigInt(head), timeoutMs);
    return this.head() > head;
  }
}
