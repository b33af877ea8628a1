// The optional OpenTelemetry binding: command spans, and the projection spans recorded on the main
// thread from what workers report (the service's provider lives there). `@opentelemetry/api` is an
// optional peer dependency, loaded by a guarded dynamic import: without it, or without a registered
// tracer provider, no span is made and a command costs one property check. A provider registered
// after the runtime started is found by a lookup at most once a second; once found, it is kept.
import type { Context, Link, Span, Tracer } from '@opentelemetry/api';
import type { CommandOutcome, CommandTrace } from '../actors/command-trace.js';
import type { SendOptions } from '../actors/types.js';
import type { HandledEvent, ProjectionTracer } from '../projections/handled-event.js';
import type { StreamRef } from '../storage/keys.js';
import { RehydraError } from '../storage/errors.js';
import { formatTraceParent, parseTraceParent } from './traceparent.js';

type OtelApi = typeof import('@opentelemetry/api');

const TRACER_NAME = 'rehydra';
const LOOKUP_INTERVAL_MS = 1_000;

let loading: Promise<OtelApi | undefined> | undefined;

/** `@opentelemetry/api` when the service has it installed; undefined otherwise (loaded once per process). */
function loadApi(): Promise<OtelApi | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api) => api,
    () => undefined,
  );
  return loading;
}

/** The runtime's tracing, or undefined when `@opentelemetry/api` is not installed. */
export async function loadTracing(): Promise<Tracing | undefined> {
  const api = await loadApi();
  return api && new Tracing(api);
}

/** Spans of commands and of the projection work their events cause. */
export class Tracing implements ProjectionTracer {
  private tracer: Tracer | undefined;
  private nextLookup = Number.NEGATIVE_INFINITY;

  constructor(private readonly api: OtelApi) {}

  /**
   * A `rehydra.send` span for `command` on `stream`, child of the caller's active context and
   * linked to `options.metadata.traceparent` when the caller passed the one of the event that
   * caused it; undefined when no tracer provider is registered. `now` is performance.now().
   */
  command(stream: StreamRef, commandType: string, options: SendOptions, now: number): CommandTrace | undefined {
    const tracer = this.current(now);
    if (!tracer) return undefined;
    const parent = this.api.context.active();
    const cause = this.link(options.metadata?.traceparent);
    const span = tracer.startSpan('rehydra.send', {
      attributes: { 'rehydra.aggregate.type': stream.type, 'rehydra.aggregate.id': stream.id, 'rehydra.command.type': commandType },
      links: cause && [cause],
    }, parent);
    // Sampled out: children would be sampled out too (parent-based sampling, the default), but
    // the context still travels in the events, so that what they cause is sampled alike.
    if (!span.isRecording()) return new UnsampledCommandTrace(formatTraceParent(span.spanContext()));
    return new OtelCommandTrace(this.api, tracer, span, this.api.trace.setSpan(parent, span));
  }

  enabled(): boolean {
    return this.current(performance.now()) !== undefined;
  }

  /**
   * A `rehydra.project` span per handled event, timed as the worker measured it, child of the
   * command span its `traceparent` names: the command's trace goes on into its projections.
   */
  handled(projection: string, partition: number, events: readonly HandledEvent[]): void {
    const tracer = this.tracer;
    if (!tracer) return;
    const { trace, ROOT_CONTEXT } = this.api;
    for (const event of events) {
      const parent = parseTraceParent(event.traceparent);
      if (!parent) continue;
      const span = tracer.startSpan('rehydra.project', {
        startTime: event.startMs,
        attributes: {
          'rehydra.projection': projection, 'rehydra.partition': partition, 'rehydra.position': event.position,
          'rehydra.event.type': event.type, 'rehydra.aggregate.type': event.aggregateType, 'rehydra.aggregate.id': event.aggregateId,
        },
      }, trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }));
      span.end(event.endMs);
    }
  }

  /** The registered provider's tracer, looked up at most once a second while there is none. */
  private current(now: number): Tracer | undefined {
    if (this.tracer || now < this.nextLookup) return this.tracer;
    this.nextLookup = now + LOOKUP_INTERVAL_MS;
    const provider = this.api.trace.getTracerProvider();
    // The global provider is a proxy: without a delegate registered its tracers are no-ops.
    this.tracer = provider instanceof this.api.ProxyTracerProvider ? provider.getDelegateTracer(TRACER_NAME) : provider.getTracer(TRACER_NAME);
    return this.tracer;
  }

  private link(traceparent: unknown): Link | undefined {
    const parsed = parseTraceParent(traceparent);
    return parsed && { context: { ...parsed, isRemote: true } };
  }
}

/** A command whose span is not recorded: its context is stored, and nothing else is done. */
class UnsampledCommandTrace implements CommandTrace {
  constructor(readonly traceparent: string) {}

  decide<T>(work: () => T): T {
    return work();
  }

  commit(): void {}

  end(): void {}
}

class OtelCommandTrace implements CommandTrace {
  readonly traceparent: string;

  constructor(
    private readonly api: OtelApi,
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly context: Context,
  ) {
    this.traceparent = formatTraceParent(span.spanContext());
  }

  decide<T>(work: () => T): T {
    const span = this.tracer.startSpan('rehydra.decide', undefined, this.context);
    try {
      return work();
    } catch (error) {
      this.failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  commit(commit: Promise<unknown>): void {
    const span = this.tracer.startSpan('rehydra.commit', undefined, this.context);
    commit.then(
      () => span.end(),
      (error: unknown) => {
        this.failed(span, error);
        span.end();
      },
    );
  }

  end(outcome: CommandOutcome, result: { readonly version: number; readonly position: number } | undefined, error?: unknown): void {
    this.span.setAttribute('rehydra.outcome', outcome);
    if (result) this.span.setAttributes({ 'rehydra.version': result.version, 'rehydra.position': result.position });
    if (outcome === 'rejected') this.failed(this.span, error);
    this.span.end();
  }

  private failed(span: Span, error: unknown): void {
    if (error instanceof RehydraError) span.setAttribute('rehydra.error.code', error.code);
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
}
