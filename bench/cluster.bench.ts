// How many bank commands per second do 3 rehydra cluster nodes take over a 3-node JetStream
// cluster on one machine, against raw pipelined JetStream publishes of the same messages with the
// same expected-sequence headers (measured in the same run), and how soon does a killed node's work
// serve again? Runs only under `--cluster`: real nats-servers (fixtures/nats-servers.ts, a fresh
// cluster per scenario) and one child process per runtime (bench/cluster-node.ts), all killed in `finally`.
// REHYDRA_BENCH_NODE_ARGS passes node options to those processes only (NODE_OPTIONS refuses
// --cpu-prof): REHYDRA_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles each node.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { startNatsCluster, type NatsCluster } from '../fixtures/nats-servers.js';
import { ClusterNames } from '../runtime/cluster/cluster-names.js';
import { ensureLogStream } from '../runtime/cluster/cluster-node.js';
import { encodeLogMessage } from '../runtime/cluster/log-message.js';
import { rendezvousOwner } from '../runtime/cluster/rendezvous.js';
import type { NewEvent } from '../storage/event-log.js';
import { createBankWorkload, memoOf, openCommand, type BankWorkload } from './bank-workload.js';
import type { NodeCalls, NodeOp, NodeReplyLine } from './cluster-node.js';
import { createLatencyRecorder, type LatencyRecorder } from './latency.js';
import { runPipelined } from './pipeline.js';
import { figureOf, type Figures, type Scenario, type ScenarioContext } from './scenario.js';

const ACCOUNTS = 10_000;
const SEED = 11;
const NODE_IDS = ['n1', 'n2', 'n3'] as const;
const PARTITIONS = 64;
const REPLICAS = 3;
const LEASE_MS = 5_000;
const FAILOVER_LEASE_MS = 2_000;
/** Commands (and raw publishes) in flight in all: a third per node. */
const INFLIGHT = 1_000;
const INFLIGHT_PER_NODE = Math.round(INFLIGHT / NODE_IDS.length);
/** Deposits timed in a full run, in all (a tenth in --quick). */
const COMMANDS = 30_000;
/** The cluster's name on NATS: its stream, subjects and lease bucket (ClusterNames). */
const CLUSTER_NAME = 'bench';
/** How long the load runs on 3 nodes before one is killed. */
const WARM_MS = 1_000;
/** How often the surviving nodes are asked for their acknowledgements after the kill. */
const POLL_MS = 100;
/** Longest wait for the partitions to sit with their rendezvous owners after the nodes start. */
const PLACEMENT_TIMEOUT_MS = 60_000;
/** Longest wait for a node to close before it is killed. */
const CLOSE_TIMEOUT_MS = 15_000;
const NODE_SCRIPT = fileURLToPath(new URL('./cluster-node.js', import.meta.url));
const NODE_ARGS = process.env.REHYDRA_BENCH_NODE_ARGS?.split(' ').filter((arg) => arg.length > 0) ?? [];

const RAW = figureOf('cluster.raw.publish', 'perSec');

/** Epoch milliseconds, sub-millisecond precise: the clock bench/cluster-node.ts reports in. */
const epochMs = (): number => performance.timeOrigin + performance.now();

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc cannot tell (not Linux, process gone). */
function processCpuMs(pid: number): number | undefined {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, counted after the parenthesised command name, in clock ticks (USER_HZ, 100 on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Starts counting the CPU time the nats-servers use; the returned function reads it, in ms. A cost
 * per command beside the rate, since a rate alone misleads on a busy machine.
 */
function natsCpuMeter(nats: NatsCluster): () => number | undefined {
  const used = (): number | undefined => {
    const each = nats.servers.map((server) => processCpuMs(server.pid));
    return each.every((ms) => ms !== undefined) ? each.reduce((sum, ms) => sum + ms, 0) : undefined;
  };
  const before = used();
  return () => {
    const after = used();
    return before === undefined || after === undefined ? undefined : after - before;
  };
}

/** "CPU per message: 120 µs in the bench process, 80 µs in the nats-servers", from the CPU ms each used over `n` operations. */
function describeCpu(n: number, parts: Readonly<Record<string, number | undefined>>): string {
  const known = Object.entries(parts).filter((part): part is [string, number] => part[1] !== undefined);
  return `CPU per operation: ${known.map(([where, ms]) => `${Math.round((ms * 1000) / n)} µs in ${where}`).join(', ')}`;
}

function timedSize(context: ScenarioContext): number {
  return context.quick ? COMMANDS / 10 : COMMANDS;
}

/** Starts a fresh 3-node JetStream cluster on loopback for one scenario. */
async function startNats(context: ScenarioContext): Promise<NatsCluster> {
  const started = performance.now();
  const nats = await startNatsCluster({ nodes: NODE_IDS.length });
  context.progress(`3 nats-servers with JetStream ready in ${count(performance.now() - started)} ms (${nats.urls})`);
  return nats;
}

// ---- cluster.raw.publish ----------------------------------------------------------------------

/** A log message of one event of account `i`, as a node publishes it (runtime/cluster/log-message.ts). */
function logMessage(origin: string, i: number, expectedVersion: number, event: NewEvent): Uint8Array {
  return encodeLogMessage({ origin, appends: [{ stream: { type: 'account', id: `a-${i}` }, expectedVersion, events: [event] }] });
}

/**
 * The messages of the raw run, encoded before the timed part: each account's open, then the
 * workload's deposits, each at its account's next version, under an origin shaped like a node's.
 */
function rawMessages(workload: BankWorkload): { opens: Uint8Array[]; deposits: Uint8Array[] } {
  const origin = `raw.${Date.now().toString(36)}.`;
  let published = 0;
  const timestamp = Date.now();
  const opens = Array.from({ length: ACCOUNTS }, (_, i) => {
    const { type: _command, ...data } = openCommand(i);
    return logMessage(`${origin}${++published}`, i, 0, { type: 'AccountOpened', data, metadata: { timestamp } });
  });
  const versions = new Uint32Array(ACCOUNTS).fill(1);
  const deposits = Array.from({ length: workload.size }, (_, i) => {
    const a = workload.account[i]!;
    const data = { amount: workload.amount[i]!, memo: memoOf(i) };
    const version = versions[a]!;
    versions[a] = version + 1;
    return logMessage(`${origin}${++published}`, a, version, { type: 'MoneyDeposited', data, metadata: { timestamp } });
  });
  return { opens, deposits };
}

/**
 * Publishes on a subject only after the previous message on it is acknowledged, expecting that
 * message's sequence: at most one in flight per subject, as a node's per-stream chain has.
 */
function chainedPublisher(js: JetStreamClient, subjects: readonly string[]): (subject: number, payload: Uint8Array) => Promise<void> {
  const last = new Array<number>(subjects.length).fill(0);
  const tails = new Array<Promise<void>>(subjects.length).fill(Promise.resolve());
  return (subject, payload) => {
    const next = tails[subject]!
      .then(() => js.publish(subjects[subject]!, payload, { expect: { lastSubjectSequence: last[subject]! } }))
      .then((ack) => void (last[subject] = ack.seq));
    tails[subject] = next;
    return next;
  };
}

async function measureRawPublish(context: ScenarioContext): Promise<Figures> {
  const n = timedSize(context);
  const workload = createBankWorkload({ accounts: ACCOUNTS, commands: n, seed: SEED });
  const { opens, deposits } = rawMessages(workload);
  const names = new ClusterNames(CLUSTER_NAME, PARTITIONS);
  const subjects = workload.ids.map((id) => names.subjectOf({ type: 'account', id }));
  const nats = await startNats(context);
  try {
    const nc = await connect({ servers: nats.urls.split(',') });
    try {
      await ensureLogStream(await jetstreamManager(nc), names, REPLICAS, nats.urls);
      const publish = chainedPublisher(jetstream(nc), subjects);
      const opened = await runPipelined({ n: ACCOUNTS, inflight: INFLIGHT, issue: (i) => publish(i, opens[i]!) });
      context.progress(`${count(ACCOUNTS)} subjects given their open (untimed) at ${count(opened.perSec)}/s; timing ${count(n)} deposits, ` +
        `${count(INFLIGHT)} in flight, messages ${Math.round(deposits.reduce((sum, bytes) => sum + bytes.length, 0) / n)} B each`);
      const latency = createLatencyRecorder();
      const cpu = process.cpuUsage();
      const natsCpu = natsCpuMeter(nats);
      const { perSec } = await runPipelined({ n, inflight: INFLIGHT, latency, issue: (i) => publish(workload.account[i]!, deposits[i]!) });
      const { user, system } = process.cpuUsage(cpu);
      context.progress(describeCpu(n, { 'the publisher': (user + system) / 1000, 'the nats-servers': natsCpu() }));
      return report(context, perSec, latency, n);
    } finally {
      await nc.close();
    }
  } finally {
    await nats.stop();
  }
}

function report(context: ScenarioContext, perSec: number, latency: LatencyRecorder, n: number): Figures {
  const p50Ms = latency.percentileMs(50);
  const p99Ms = latency.percentileMs(99);
  context.progress(`${count(perSec)}/s; p50 ${p50Ms.toFixed(2)} ms, p99 ${p99Ms.toFixed(2)} ms`);
  return { perSec, p50Ms, p99Ms, n };
}

// ---- the nodes: one child process each ----------------------------------------------------------

/** One runtime in a child process, spoken to in JSON lines (bench/cluster-node.ts). */
class NodeProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly stderr: string[] = [];
  private calls = 0;
  private gone = false;
  readonly exited: Promise<void>;

  constructor(readonly nodeId: string) {
    this.child = spawn(process.execPath, [...NODE_ARGS, NODE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.settle(text));
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      this.stderr.push(text);
      if (this.stderr.length > 30) this.stderr.shift();
    });
    this.exited = new Promise<void>((resolve) => {
      const exit = (why: string) => {
        this.gone = true;
        const error = new Error(`cluster node ${nodeId} exited (${why}); its stderr ended:\n${this.stderr.join('\n')}`);
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        resolve();
      };
      this.child.once('exit', (code, signal) => exit(signal ?? `code ${code}`));
      this.child.once('error', (error) => exit(error.message));
    });
  }

  /** Sends one request; resolves with the node's reply, rejects with its error or its exit. */
  call<K extends NodeOp>(op: K, request: NodeCalls[K]['request']): Promise<NodeCalls[K]['reply']> {
    if (this.gone) return Promise.reject(new Error(`cluster node ${this.nodeId} is not running`));
    const id = ++this.calls;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ ...request, id, op })}\n`);
    });
  }

  /** SIGKILL, as a crash: nothing is closed or handed over. */
  async kill(): Promise<void> {
    if (!this.gone) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Closes the runtime (handing its partitions over), or kills the process when that does not end in time. */
  async close(): Promise<void> {
    if (this.gone) return;
    const closed = this.call('close', {}).then(() => this.exited, () => undefined);
    await Promise.race([closed, delay(CLOSE_TIMEOUT_MS)]);
    await this.kill();
  }

  private settle(text: string): void {
    let line: NodeReplyLine;
    try {
      line = JSON.parse(text) as NodeReplyLine;
    } catch {
      // Not a reply (a library writing to stdout): kept with the stderr tail for a failure report.
      this.stderr.push(`stdout: ${text}`);
      return;
    }
    const pending = this.pending.get(line.id);
    this.pending.delete(line.id);
    if ('error' in line) pending?.reject(new Error(`cluster node ${this.nodeId}: ${line.error}`));
    else pending?.resolve(line.value);
  }
}

/** The running cluster a scenario measures: its nodes, and a connection of the bench's own to read the lease bucket. */
interface NodeCluster {
  readonly nats: NatsCluster;
  readonly nodes: readonly NodeProcess[];
  readonly names: ClusterNames;
  readonly leases: KV;
}

/** Which node holds each partition's lease, as the bucket says now (absent: nobody). */
async function leaseHolders(cluster: Pick<NodeCluster, 'names' | 'leases'>): Promise<Map<number, string>> {
  const holders = new Map<number, string>();
  await Promise.all(Array.from({ length: PARTITIONS }, async (_, partition) => {
    const entry = await cluster.leases.get(cluster.names.leaseKey(partition));
    const node = entry?.operation === 'PUT' ? entry.json<{ node?: string }>().node : undefined;
    if (node !== undefined) holders.set(partition, node);
  }));
  return holders;
}

/** Waits until every partition's lease is held by its rendezvous owner among the 3 nodes (nodes start one by one, so the first takes all at first). */
async function waitForPlacement(cluster: Pick<NodeCluster, 'names' | 'leases'>): Promise<void> {
  const deadline = performance.now() + PLACEMENT_TIMEOUT_MS;
  for (;;) {
    const holders = await leaseHolders(cluster);
    const misplaced = Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => holders.get(p) !== rendezvousOwner(p, NODE_IDS));
    if (misplaced.length === 0) return;
    if (performance.now() > deadline) throw new Error(`partitions ${misplaced.join(', ')} not with their owners ${PLACEMENT_TIMEOUT_MS} ms after the nodes started`);
    await delay(POLL_MS);
  }
}

/** Starts the nodes over `nats` (the first alone: it creates the stream and the bucket), waits for placement, opens the accounts. */
async function startNodes(context: ScenarioContext, nats: NatsCluster, nodes: readonly NodeProcess[], leases: () => Promise<KV>, leaseMs: number): Promise<NodeCluster> {
  const started = performance.now();
  const start = (node: NodeProcess) => {
    const dir = join(context.dir, node.nodeId);
    mkdirSync(dir, { recursive: true });
    return node.call('start', { dir, cluster: { servers: nats.urls, name: CLUSTER_NAME, nodeId: node.nodeId, partitions: PARTITIONS, replicas: REPLICAS, leaseMs } });
  };
  await start(nodes[0]!);
  await Promise.all(nodes.slice(1).map(start));
  const cluster: NodeCluster = { nats, nodes, names: new ClusterNames(CLUSTER_NAME, PARTITIONS), leases: await leases() };
  await waitForPlacement(cluster);
  context.progress(`3 nodes serving their partitions ${count(performance.now() - started)} ms after starting`);
  const opening = performance.now();
  const opened = await Promise.all(nodes.map((node, k) => node.call('open', { accounts: ACCOUNTS, offset: k, stride: nodes.length, inflight: INFLIGHT_PER_NODE })));
  const failures = opened.reduce((sum, open) => sum + open.failures, 0);
  const last = opened.find((open) => open.lastFailure !== undefined)?.lastFailure;
  context.progress(`${count(ACCOUNTS)} accounts opened (untimed) at ${count((ACCOUNTS * 1000) / (performance.now() - opening))}/s` +
    (failures > 0 ? `; ${count(failures)} attempts failed and were retried with their commandId (one said: ${last})` : ''));
  return cluster;
}

/** Runs `measure` on 3 started nodes over a fresh NATS cluster; closes the nodes and stops NATS whatever happens. */
async function withNodes<T>(context: ScenarioContext, leaseMs: number, measure: (cluster: NodeCluster) => Promise<T>): Promise<T> {
  const nats = await startNats(context);
  const nodes: NodeProcess[] = [];
  try {
    const nc = await connect({ servers: nats.urls.split(','), name: 'rehydra-bench-observer' });
    try {
      nodes.push(...NODE_IDS.map((nodeId) => new NodeProcess(nodeId)));
      const names = new ClusterNames(CLUSTER_NAME, PARTITIONS);
      return await measure(await startNodes(context, nats, nodes, () => new Kvm(nc).open(names.bucket), leaseMs));
    } finally {
      await Promise.allSettled(nodes.map((node) => node.close()));
      await nc.close();
    }
  } finally {
    await Promise.allSettled(nodes.map((node) => node.kill()));
    await nats.stop();
  }
}

// ---- cluster.commands -------------------------------------------------------------------------

async function measureCommands(context: ScenarioContext): Promise<Figures> {
  const perNode = Math.round(timedSize(context) / NODE_IDS.length);
  return withNodes(context, LEASE_MS, async ({ nats, nodes }) => {
    context.progress(`timing ${count(perNode)} deposits per node, ${INFLIGHT_PER_NODE} in flight each`);
    const natsCpu = natsCpuMeter(nats);
    const runs = await Promise.all(nodes.map((node, k) => node.call('run', { accounts: ACCOUNTS, count: perNode, inflight: INFLIGHT_PER_NODE, seed: SEED + k })));
    // One wall clock for the cluster: from the first node's first send to the last node's last ack.
    const elapsedMs = Math.max(...runs.map((run) => run.endedAt)) - Math.min(...runs.map((run) => run.startedAt));
    const accepted = runs.reduce((sum, run) => sum + run.accepted, 0);
    const latency = createLatencyRecorder();
    for (const run of runs) for (const ms of run.latenciesMs) latency.record(ms);
    context.progress(`per node: ${runs.map((run) => `${count((run.accepted * 1000) / (run.endedAt - run.startedAt))}/s`).join(', ')}; ` +
      describeCpu(accepted, { 'the nodes': runs.reduce((sum, run) => sum + run.cpuMs, 0), 'the nats-servers': natsCpu() }));
    return report(context, (accepted * 1000) / elapsedMs, latency, accepted);
  });
}

// ---- cluster.failover -------------------------------------------------------------------------

/**
 * Failover time, measured as a client sees it: with every node under load (each command retried
 * with its commandId until acknowledged), one node is SIGKILLed; its partitions are those whose
 * lease the bucket names it the holder of just before the kill. Each partition serves again when a
 * surviving node acknowledges a command to one of its aggregates whose attempt was issued after
 * the kill (so no reply the killed node sent before dying counts); the failover time is the latest
 * of these, from the kill. Attempts to a partition nobody serves are retried every 25 ms by the
 * forwarding, so the figure overstates the real hand-over by at most that and one reply's trip.
 */
async function measureFailover(context: ScenarioContext): Promise<Figures> {
  return withNodes(context, FAILOVER_LEASE_MS, async (cluster) => {
    const { nodes } = cluster;
    await Promise.all(nodes.map((node, k) => node.call('load', { accounts: ACCOUNTS, inflight: INFLIGHT_PER_NODE, seed: SEED + k })));
    await delay(WARM_MS);
    const victim = nodes.at(-1)!;
    const survivors = nodes.slice(0, -1);
    const partitions = [...(await leaseHolders(cluster))].filter(([, node]) => node === victim.nodeId).map(([partition]) => partition);
    if (partitions.length === 0) throw new Error(`${victim.nodeId} held no partition before the kill`);
    const killedAt = epochMs();
    await victim.kill();
    context.progress(`${victim.nodeId} (${partitions.length} partitions) SIGKILLed under load`);
    const served = await waitForServed(survivors, partitions, killedAt);
    const times = [...served.first.values()].map((at) => at - killedAt).sort((a, b) => a - b);
    context.progress(`partitions served again after ${count(times[0]!)} ms (first) to ${count(times.at(-1)!)} ms (last); ` +
      `${count(served.failures)} failed attempts retried on the survivors meanwhile`);
    return { ms: times.at(-1)!, n: partitions.length };
  });
}

/** Polls the survivors until each partition has a first acknowledgement of an attempt issued at or after `since`. */
async function waitForServed(survivors: readonly NodeProcess[], partitions: readonly number[], since: number): Promise<{ first: Map<number, number>; failures: number }> {
  for (;;) {
    await delay(POLL_MS);
    const reports = await Promise.all(survivors.map((node) => node.call('acks', { since, partitions })));
    const first = new Map<number, number>();
    for (const { first: acks } of reports) {
      for (const [key, at] of Object.entries(acks)) first.set(Number(key), Math.min(at, first.get(Number(key)) ?? Infinity));
    }
    if (first.size === partitions.length) return { first, failures: reports.reduce((sum, report) => sum + report.failures, 0) };
    if (epochMs() - since > 10 * FAILOVER_LEASE_MS) {
      const silent = partitions.filter((partition) => !first.has(partition));
      throw new Error(`partitions ${silent.join(', ')} acknowledged nothing on the surviving nodes ${10 * FAILOVER_LEASE_MS} ms after the kill`);
    }
  }
}

const SETUP = `3 nats-servers (JetStream, file storage) on loopback, started fresh for the scenario; the log's stream as a node creates it (R${REPLICAS}, limits retention)`;

const rawPublish: Scenario = {
  key: 'cluster.raw.publish',
  title: 'raw pipelined JetStream publishes of the runtime\'s log messages, expected subject sequence on each (the cluster\'s limit)',
  rounds: 3,
  expectedSeconds: 8,
  settings:
    `${SETUP}; one process, one connection (client defaults, as a node connects); 10,000 subjects (ClusterNames.subjectOf) each given an open first (untimed), then deposits to random ` +
    `accounts, each a LogMessage of one MoneyDeposited append (encodeLogMessage, encoded before the timed part) with Nats-Expected-Last-Subject-Sequence, ` +
    `chained per subject (one in flight per subject), ${count(INFLIGHT)} in flight in all`,
  run: measureRawPublish,
};

const commands: Scenario = {
  key: 'cluster.commands',
  title: '3 cluster nodes (child processes) over a 3-node JetStream cluster: bank deposits on 10,000 aggregates',
  rounds: 3,
  expectedSeconds: 30,
  settings:
    `${SETUP}; 3 runtimes in child processes (bench/cluster-node.ts), each a cluster node (partitions ${PARTITIONS}, replicas ${REPLICAS}, leaseMs ${LEASE_MS}, ` +
    `its own temp LMDB replica, runtime defaults otherwise); 10,000 accounts opened first (untimed); each node sends a third of the deposits to random ` +
    `accounts through itself (~2/3 forwarded to their owner), ${INFLIGHT_PER_NODE} in flight each; rate = all acks / (last ack − first send)`,
  figures: { perSec: { against: RAW, targets: [{ op: '>=', value: 0.5, of: RAW }] } },
  run: measureCommands,
};

const failover: Scenario = {
  key: 'cluster.failover',
  title: 'a node SIGKILLed under load: until each of its partitions acknowledges a command again on a survivor',
  rounds: 3,
  expectedSeconds: 20,
  settings:
    `as cluster.commands with leaseMs ${FAILOVER_LEASE_MS}, deposits sent without end, each with a commandId and retried with it until acknowledged; ` +
    `${NODE_IDS.at(-1)} SIGKILLed ${WARM_MS} ms into the load; ms = from the kill until every partition it held (lease bucket) acknowledged, on a ` +
    'surviving node, a command attempt issued after the kill (n = its partitions)',
  figures: { ms: { label: 'failover', targets: [{ op: '<=', value: 2 * FAILOVER_LEASE_MS }] } },
  run: measureFailover,
};

export const scenarios: readonly Scenario[] = [rawPublish, commands, failover];
