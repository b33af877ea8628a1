// Traces of commands through @opentelemetry/api, read back from the SDK's in-memory exporter: a
// `rehydra.send` span per command (child of the caller's active span) with its decide and commit
// children, its events carrying its W3C traceparent, a projection's handling of them as a child
// span, a later command linking back to it, and no span nor traceparent while no tracer provider
// is registered.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { IllegalEventError } from '../../actors/errors.js';
import { account } from '../../fixtures/bank-account.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { defineProjection } from '../../projections/define-projection.js';
import { parseTraceParent } from '../../runtime/traceparent.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

const exporter = new InMemorySpanExporter();

function spanNamed(name: string, parentSpanId?: string): ReadableSpan {
  const spans = exporter.getFinishedSpans().filter((span) => span.name === name && (parentSpanId === undefined || span.parentSpanContext?.spanId === parentSpanId));
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe('without a tracer provider', () => {
  it('stores no traceparent and makes no span', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    const { events } = await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    expect(events[0]!.metadata).not.toHaveProperty('traceparent');
    expect([...runtime.readStream('account', 'a-1')][0]!.metadata).not.toHaveProperty('traceparent');
  });
});

describe('with a tracer provider', () => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    trace.disable();
    context.disable();
    await provider.shutdown();
  });

  it('makes a rehydra.send span under the caller\'s span, with decide and commit children and the contract\'s attributes', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    const request = trace.getTracer('test').startSpan('POST /accounts');
    const result = await context.with(trace.setSpan(context.active(), request), () =>
      runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 }));
    request.end();

    const send = spanNamed('rehydra.send');
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(send.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(send.attributes).toEqual({
      'rehydra.aggregate.type': 'account', 'rehydra.aggregate.id': 'a-1', 'rehydra.command.type': 'open',
      'rehydra.version': 1, 'rehydra.position': result.position, 'rehydra.outcome': 'accepted',
    });
    const sendId = send.spanContext().spanId;
    expect(spanNamed('rehydra.decide', sendId).spanContext().traceId).toBe(send.spanContext().traceId);
    expect(spanNamed('rehydra.commit', sendId).status.code).toBe(0);

    // The stored event names the command's span: what it causes can join the same trace.
    const [stored] = [...runtime.readStream('account', 'a-1')];
    expect(parseTraceParent(stored!.metadata.traceparent)).toEqual({ traceId: send.spanContext().traceId, spanId: sendId, traceFlags: 1 });
    expect(result.events[0]!.metadata.traceparent).toBe(stored!.metadata.traceparent);
  });

  it('stores the context of a sampled-out command (unsampled) and records no span of it', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    // An incoming request its caller did not sample: parent-based sampling drops the command too.
    const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0, isRemote: true };
    const { events: [opened] } = await context.with(trace.setSpanContext(context.active(), remote), () =>
      runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 }));
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(parseTraceParent(opened!.metadata.traceparent)).toMatchObject({ traceId: remote.traceId, traceFlags: 0 });
  });

  it('marks a refused command rejected, with its error code, and stores nothing', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    await expect(runtime.send('account', 'a-1', { type: 'deposit', amount: 5 })).rejects.toBeInstanceOf(IllegalEventError);
    const send = spanNamed('rehydra.send');
    expect(send.attributes['rehydra.outcome']).toBe('rejected');
    expect(send.attributes['rehydra.error.code']).toBe('ERR_ILLEGAL_EVENT');
    expect(send.status.code).toBe(2);
    expect(spanNamed('rehydra.decide', send.spanContext().spanId).status.code).toBe(2);
    expect(exporter.getFinishedSpans().map((span) => span.name)).not.toContain('rehydra.commit');
  });

  it('links a command sent with an event\'s traceparent to the command that stored that event', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    const { events: [opened] } = await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    const cause = spanNamed('rehydra.send').spanContext();
    exporter.reset();
    // A process manager reacting to `opened` passes its trace context along.
    const { events: [deposited] } = await runtime.send('account', 'a-2', { type: 'open', owner: 'bob', initial: 1 },
      { metadata: { traceparent: opened!.metadata.traceparent } });
    const send = spanNamed('rehydra.send');
    expect(send.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[cause.traceId, cause.spanId]]);
    // Its events carry its own context, not the one it was caused by.
    expect(parseTraceParent(deposited!.metadata.traceparent)?.spanId).toBe(send.spanContext().spanId);
  });

  it('records a projection\'s handling of an event as a rehydra.project span under the command that stored it', async () => {
    const balances = defineProjection({ name: 'balances', module: balancesProjectionUrl() });
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account], projections: [balances] });
    const { position } = await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    await runtime.projection('balances').waitFor(position);
    // Reported when the worker's task returns, which may be just after the position is published.
    await vi.waitFor(() => expect(exporter.getFinishedSpans().map((span) => span.name)).toContain('rehydra.project'));
    const send = spanNamed('rehydra.send').spanContext();
    const project = spanNamed('rehydra.project');
    expect(project.parentSpanContext?.spanId).toBe(send.spanId);
    expect(project.spanContext().traceId).toBe(send.traceId);
    expect(project.attributes).toEqual({
      'rehydra.projection': 'balances', 'rehydra.partition': 0, 'rehydra.position': position, 'rehydra.event.type': 'AccountOpened',
      'rehydra.aggregate.type': 'account', 'rehydra.aggregate.id': 'a-1',
    });
  });
});
