// send, state and explain for an aggregate another node owns travel to that node over NATS
// request/reply. Each node answers on a subject of its own, and a caller sends to the node the
// lease bucket names as the partition's holder: a node that froze (a long pause) keeps its
// subscription on the server, but once its lease is taken its name is no longer the one callers
// read. A node that does not serve the partition (any more, or yet) answers "retry", as does
// "no responders" and "no holder yet", until the request's time is up. A reply that does not come
// in time leaves the outcome unknown: the caller gets a PersistenceError and retries with the same
// commandId, which is what makes that retry safe.
import { Packr } from 'msgpackr';
import { RequestError, TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Command, SendOptions } from '../../actors/types.js';
import { PersistenceError, RuntimeClosedError } from '../../storage/errors.js';
import { streamName, type StreamRef } from '../../storage/keys.js';
import type { ClusterNames } from './cluster-names.js';
import { fromWire, toWire, type ErrorClasses, type WireError } from './wire-errors.js';

/** A call forwarded to an aggregate's owner. */
export interface ForwardedCall {
  readonly op: 'send' | 'state' | 'explain';
  /** The aggregate's partition: the owner checks it still serves it. */
  readonly partition?: number;
  readonly type: string;
  readonly id: string;
  readonly command?: Command;
  readonly options?: SendOptions;
}

type Reply = { readonly ok: unknown } | { readonly error: WireError } | { readonly explainError: WireError } | { readonly retry: true };

/** The owner's side: runs a forwarded call on this node, as if it had been made here. */
export type LocalCalls = (call: ForwardedCall) => Promise<unknown>;

const packr = new Packr({ useRecords: false, mapsAsObjects: true });
/** Pause before asking again when nobody serves the partition (a hand-over under way). */
const RETRY_MS = 25;

/** Both sides of forwarding on one node. */
export class Forwarding {
  private subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: ClusterNames,
    private readonly nodeId: string,
    private readonly serves: (partition: number) => boolean,
    /** The node the lease bucket names as the partition's holder, as this node last saw it. */
    private readonly holderOf: (partition: number) => string | undefined,
    private readonly local: LocalCalls,
    private readonly classes: ErrorClasses,
    private readonly timeoutMs: number,
  ) {}

  /** Answers calls forwarded to this node from now on. */
  start(): void {
    this.subscription ??= this.nc.subscribe(this.names.rpcSubject(this.nodeId), {
      callback: (error, message) => {
        if (!error) void this.answer(message);
      },
    });
  }

  /** Stops answering calls (they go to each partition's next holder). */
  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /** Runs `call` on the owner of `partition` and returns its result, or throws its error. */
  async call(partition: number, call: ForwardedCall): Promise<unknown> {
    const stream: StreamRef = { type: call.type, id: call.id };
    const deadline = performance.now() + this.timeoutMs;
    const payload = packr.pack({ ...call, partition });
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) throw new PersistenceError(streamName(stream), new Error(`no node served partition ${partition} within ${this.timeoutMs} ms`));
      const holder = this.holderOf(partition);
      if (holder === undefined) {
        // Between two holders (a hand-over, a take-over under way).
        await pause(RETRY_MS);
        continue;
      }
      let reply: Reply;
      try {
        // A whole timeout for the reply, however long finding the holder took: the first call on a
        // partition just taken over loads its actor there, which a loaded machine may take a while for.
        const message = await this.nc.request(this.names.rpcSubject(holder), payload, { timeout: this.timeoutMs });
        reply = packr.unpack(message.data) as Reply;
      } catch (error) {
        if (error instanceof RequestError && error.isNoResponders()) {
          await pause(RETRY_MS);
          continue;
        }
        if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
          throw new PersistenceError(streamName(stream), new Error(
            `no reply from the owner of partition ${partition} within ${this.timeoutMs} ms: the outcome is unknown; retry with the same commandId`));
        }
        throw new PersistenceError(streamName(stream), error);
      }
      if ('retry' in reply) {
        await pause(RETRY_MS);
        continue;
      }
      if ('error' in reply) throw fromWire(reply.error, this.classes, this.nodeId);
      if ('explainError' in reply) return { accepted: false, error: fromWire(reply.explainError, this.classes, this.nodeId) };
      return reply.ok;
    }
  }

  private async answer(message: Msg): Promise<void> {
    let reply: Reply;
    const call = packr.unpack(message.data) as ForwardedCall;
    if (call.partition === undefined || !this.serves(call.partition)) reply = { retry: true };
    else {
      try {
        const value = await this.local(call);
        const explained = value as { accepted?: boolean; error?: unknown };
        reply = explained && explained.accepted === false && 'error' in explained ? { explainError: toWire(explained.error) } : { ok: value };
      } catch (error) {
        // A node closing hands its calls over, as one that lost the partition does.
        reply = error instanceof RuntimeClosedError ? { retry: true } : { error: toWire(error) };
      }
    }
    try {
      message.respond(packr.pack(reply));
    } catch {
      // The connection is closing: the caller's request times out and reports the outcome unknown.
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
