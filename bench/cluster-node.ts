// One runtime of bench/cluster.bench.ts, as a cluster node in a process of its own (run from dist/:
// `node dist/bench/cluster-node.js`). It takes one JSON request per line on stdin and answers each
// with one JSON line on stdout carrying the request's id; nothing else may write to stdout. Times
// it reports are epoch milliseconds with sub-millisecond digits, comparable across the processes.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { account } from '../fixtures/bank-account.js';
import { pick, seededRandom } from '../fixtures/seeded-random.js';
import { ClusterNames } from '../runtime/cluster/cluster-names.js';
import { createRuntime, type Command, type Runtime, type RuntimeOptions } from '../runtime/index.js';
import { createBankWorkload, memoOf, openCommand } from './bank-workload.js';
import { runPipelined } from './pipeline.js';

/** Every request a node answers, with its reply. */
export interface NodeCalls {
  /** Opens the runtime as a cluster node on `dir`. */
  start: { request: { dir: string; cluster: NonNullable<RuntimeOptions['cluster']> }; reply: Record<string, never> };
  /** Opens accounts `offset`, `offset + stride`, … below `accounts`, `inflight` at a time, each retried with its commandId until acknowledged. */
  open: { request: { accounts: number; offset: number; stride: number; inflight: number }; reply: { opened: number; failures: number; lastFailure?: string } };
  /** Sends `count` deposits to random accounts, `inflight` at a time; fails on the first error. */
  run: { request: { accounts: number; count: number; inflight: number; seed: number }; reply: RunReport };
  /** Starts sending deposits to random accounts without end, each retried with its commandId until acknowledged. */
  load: { request: { accounts: number; inflight: number; seed: number }; reply: Record<string, never> };
  /** For each partition, the first acknowledgement of an attempt issued at or after `since`. */
  acks: { request: { since: number; partitions: readonly number[] }; reply: AcksReport };
  /** Stops any load and closes the runtime; the process exits after answering. */
  close: { request: Record<string, never>; reply: { acked: number; failures: number } };
}

export type NodeOp = keyof NodeCalls;

/** One request line: `{ id, op, ...request }`. */
export type NodeRequestLine = { readonly id: number; readonly op: NodeOp } & Record<string, unknown>;

/** One reply line: the value, or the error's stack. */
export type NodeReplyLine = { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: string };

/** What a timed run measured, in this process. */
export interface RunReport {
  readonly accepted: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** CPU time (user + system) this process spent from the first send to the last ack, in ms. */
  readonly cpuMs: number;
  /** Each command's latency in ms, rounded to the µs. */
  readonly latenciesMs: readonly number[];
}

/** First acknowledgement per partition (absent: none yet), and what the load did so far. */
export interface AcksReport {
  readonly first: Readonly<Record<number, number>>;
  readonly acked: number;
  readonly failures: number;
}

/** Epoch milliseconds, sub-millisecond precise: the same clock in every process of the machine. */
const epochMs = (): number => performance.timeOrigin + performance.now();

/** Pause before retrying a failed attempt, so a node with no owner to forward to does not spin. */
const RETRY_PAUSE_MS = 10;
/** Longest an account's open is retried: set-up that fails for this long is a broken cluster. */
const OPEN_RETRY_MS = 60_000;

/** Failed attempts, and the last one's error. */
interface Failures {
  count: number;
  last?: unknown;
}

/**
 * Sends `command` with one commandId until acknowledged, as a client retries a PersistenceError
 * ("the command may be retried"): a retry after an unknown outcome must not apply it twice.
 * Resolves with when the acknowledged attempt was issued, or undefined once `stop()` says so.
 */
async function sendRetrying(runtime: Runtime, id: string, command: Command, stop: () => boolean, failures: Failures): Promise<number | undefined> {
  const commandId = randomUUID();
  while (!stop()) {
    const issued = epochMs();
    try {
      await runtime.send(account.type, id, command, { commandId });
      return issued;
    } catch (error) {
      failures.count++;
      failures.last = error;
      await delay(RETRY_PAUSE_MS);
    }
  }
  return undefined;
}

function deposit(i: number, amount: number): Command {
  return { type: 'deposit', amount, memo: memoOf(i) };
}

/** An endless load of deposits with retries, recording when each attempt was issued and acknowledged. */
class RetryingLoad {
  private stopping = false;
  private readonly workers: Promise<void>[];
  private readonly partitions: number[] = [];
  private readonly issued: number[] = [];
  private readonly acked: number[] = [];
  readonly failures: Failures = { count: 0 };

  constructor(private readonly runtime: Runtime, private readonly names: ClusterNames, request: NodeCalls['load']['request']) {
    const random = seededRandom(request.seed);
    this.workers = Array.from({ length: request.inflight }, () => this.work(random, request.accounts));
  }

  get count(): number {
    return this.acked.length;
  }

  private async work(random: () => number, accounts: number): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const id = `a-${pick(random, accounts)}`;
      const partition = this.names.partitionOf({ type: account.type, id });
      const issued = await sendRetrying(this.runtime, id, deposit(i, 1 + pick(random, 100)), () => this.stopping, this.failures);
      if (issued === undefined) return;
      this.partitions.push(partition);
      this.issued.push(issued);
      this.acked.push(epochMs());
    }
  }

  firstAcks(since: number, partitions: readonly number[]): Record<number, number> {
    const wanted = new Set(partitions);
    const first: Record<number, number> = {};
    for (let i = 0; i < this.acked.length; i++) {
      const partition = this.partitions[i]!;
      if (!wanted.has(partition) || this.issued[i]! < since) continue;
      const at = this.acked[i]!;
      if (first[partition] === undefined || at < first[partition]) first[partition] = at;
    }
    return first;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
  }
}

/** The node's state between requests. */
class BenchNode {
  private runtime: Runtime | undefined;
  private names: ClusterNames | undefined;
  private retrying: RetryingLoad | undefined;

  async start({ dir, cluster }: NodeCalls['start']['request']): Promise<NodeCalls['start']['reply']> {
    this.runtime = await createRuntime({ path: dir, aggregates: [account], cluster });
    this.names = new ClusterNames(cluster.name, cluster.partitions ?? 64);
    return {};
  }

  async open({ accounts, offset, stride, inflight }: NodeCalls['open']['request']): Promise<NodeCalls['open']['reply']> {
    const runtime = this.started();
    const n = Math.ceil((accounts - offset) / stride);
    const failures: Failures = { count: 0 };
    const open = async (i: number) => {
      const deadline = performance.now() + OPEN_RETRY_MS;
      const issued = await sendRetrying(runtime, `a-${i}`, openCommand(i), () => performance.now() > deadline, failures);
      if (issued === undefined) throw new Error(`account a-${i} was not opened within ${OPEN_RETRY_MS} ms of retries`, { cause: failures.last });
    };
    await runPipelined({ n, inflight, issue: (k) => open(offset + k * stride) });
    return { opened: n, failures: failures.count, ...(failures.last !== undefined && { lastFailure: String(failures.last) }) };
  }

  async run({ accounts, count, inflight, seed }: NodeCalls['run']['request']): Promise<RunReport> {
    const runtime = this.started();
    const workload = createBankWorkload({ accounts, commands: count, seed });
    const latencies = new Float64Array(count);
    let accepted = 0;
    const cpu = process.cpuUsage();
    const startedAt = epochMs();
    await runPipelined({
      n: count,
      inflight,
      issue: (i) => {
        const sent = performance.now();
        return runtime.send(account.type, workload.ids[workload.account[i]!]!, deposit(i, workload.amount[i]!)).then(() => {
          latencies[i] = performance.now() - sent;
          accepted++;
        });
      },
    });
    const endedAt = epochMs();
    const { user, system } = process.cpuUsage(cpu);
    return { accepted, startedAt, endedAt, cpuMs: (user + system) / 1000, latenciesMs: Array.from(latencies, (ms) => Math.round(ms * 1000) / 1000) };
  }

  load(request: NodeCalls['load']['request']): NodeCalls['load']['reply'] {
    this.retrying = new RetryingLoad(this.started(), this.names!, request);
    return {};
  }

  acks({ since, partitions }: NodeCalls['acks']['request']): AcksReport {
    return { first: this.retrying?.firstAcks(since, partitions) ?? {}, acked: this.retrying?.count ?? 0, failures: this.retrying?.failures.count ?? 0 };
  }

  async close(): Promise<NodeCalls['close']['reply']> {
    await this.retrying?.stop();
    await this.runtime?.close();
    return { acked: this.retrying?.count ?? 0, failures: this.retrying?.failures.count ?? 0 };
  }

  private started(): Runtime {
    if (!this.runtime) throw new Error('the node was not started: send { op: "start" } first');
    return this.runtime;
  }
}

async function answer(node: BenchNode, line: NodeRequestLine): Promise<unknown> {
  const { id: _, op, ...request } = line;
  switch (op) {
    case 'start':
      return node.start(request as NodeCalls['start']['request']);
    case 'open':
      return node.open(request as NodeCalls['open']['request']);
    case 'run':
      return node.run(request as NodeCalls['run']['request']);
    case 'load':
      return node.load(request as NodeCalls['load']['request']);
    case 'acks':
      return node.acks(request as NodeCalls['acks']['request']);
    case 'close':
      return node.close();
  }
}

function reply(line: NodeReplyLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const node = new BenchNode();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  // The parent gone (its stdin closed) ends the node too: no runtime outlives its bench.
  lines.on('close', () => process.exit(0));
  for await (const text of lines) {
    const line = JSON.parse(text) as NodeRequestLine;
    answer(node, line).then(
      (value) => {
        reply({ id: line.id, value: value ?? {} });
        if (line.op === 'close') process.exit(0);
      },
      (error: unknown) => reply({ id: line.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  }
}

await main();
