// Shared memory between the host and its workers, so that following the head costs the main
// thread one atomic store per commit and no message: the host publishes the durable head and a
// stop flag; each partition publishes the position it applied and reads the one a reader awaits,
// and shows which handler call it is in, so that the host stops a call past its time limit.

const HEAD = 0;
const STOP = 1;
const WANTED = 0;
const RETIRED = 1;
const FOREIGN_WRITES = 2;
const APPLIED = 3;
/** A call counter the host set when it claimed a call to stop its worker: the worker never commits after it. */
const CLAIMED = -1;
/** Call counters wrap within 30 bits, so they never reach CLAIMED; odd means inside a call. */
const CALL_MASK = 0x3fffffff;

/**
 * Per partition, after the 64-bit cells: the position of the event a handler call is on
 * (Float64, written before the counter is published), then the call counter (Int32).
 */
function callCells(buffer: SharedArrayBuffer, partitions: number): { positions: Float64Array; counters: Int32Array } {
  const start = (APPLIED + partitions) * BigInt64Array.BYTES_PER_ELEMENT;
  return {
    positions: new Float64Array(buffer, start, partitions),
    counters: new Int32Array(buffer, start + partitions * Float64Array.BYTES_PER_ELEMENT, partitions),
  };
}

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
 * key other than its event's aggregate id, and per partition the applied position and handler call.
 */
export class GenerationSignals {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: BigInt64Array;
  private readonly calls: ReturnType<typeof callCells>;

  constructor(partitions: number) {
    const callBytes = partitions * (Float64Array.BYTES_PER_ELEMENT + Int32Array.BYTES_PER_ELEMENT);
    this.buffer = new SharedArrayBuffer((APPLIED + partitions) * BigInt64Array.BYTES_PER_ELEMENT + callBytes);
    this.cells = new BigInt64Array(this.buffer, 0, APPLIED + partitions);
    this.calls = callCells(this.buffer, partitions);
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

  /** Clears a partition's call counter before a task starts (a claim of a stopped worker may remain). */
  resetCall(partition: number): void {
    Atomics.store(this.calls.counters, partition, 0);
  }

  /** The partition's call counter: odd while a handler call runs, a new value for every call. */
  call(partition: number): number {
    return Atomics.load(this.calls.counters, partition);
  }

  /**
   * Claims call `seen` if the partition is still in it: from then on its worker blocks instead of
   * committing, so that terminating the thread cannot interrupt a write. Returns the position of
   * the event the call is on (0 for init), or undefined when the call had ended.
   */
  claimCall(partition: number, seen: number): number | undefined {
    // Only an odd counter is a running call (CLAIMED, -1, is not: -1 % 2 is -1).
    if (seen % 2 !== 1 || Atomics.compareExchange(this.calls.counters, partition, seen, CLAIMED) !== seen) return undefined;
    return this.calls.positions[partition];
  }
}

/** The worker's side of both blocks, for one partition. */
export class PartitionSignals {
  private readonly host: BigInt64Array;
  private readonly generation: BigInt64Array;
  private readonly calls: ReturnType<typeof callCells>;
  private counter: number;

  constructor(host: SharedArrayBuffer, generation: SharedArrayBuffer, private readonly partition: number, partitions: number) {
    this.host = new BigInt64Array(host);
    this.generation = new BigInt64Array(generation, 0, APPLIED + partitions);
    this.calls = callCells(generation, partitions);
    this.counter = Atomics.load(this.calls.counters, partition);
  }

  /** Marks a handler call on the event at `position` (0 for init) as running. */
  enterCall(position: number): void {
    this.calls.positions[this.partition] = position;
    this.counter = (this.counter + 1) & CALL_MASK;
    Atomics.store(this.calls.counters, this.partition, this.counter);
  }

  /** Marks the call as ended; if the host claimed it, blocks until the host terminates this thread. */
  leaveCall(): void {
    const inside = this.counter;
    this.counter = (inside + 1) & CALL_MASK;
    if (Atomics.compareExchange(this.calls.counters, this.partition, inside, this.counter) === inside) return;
    for (;;) Atomics.wait(this.calls.counters, this.partition, CLAIMED);
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
