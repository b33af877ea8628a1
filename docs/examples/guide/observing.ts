// The guide's "Observing" section as a program CI builds and runs (test/docs/guide.int.test.ts):
// a command traced from the caller's span through decide, commit and a projection, the aggregate
// as an inspector sees it, and the runtime's own events told to a logger. Run it in an empty
// directory: it creates ./data there.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRuntime, defineProjection, type RehydraInspectionEvent, type RuntimeLogger } from 'rehydra';
import { account } from '../quickstart/account.js';

const balances = defineProjection({ name: 'balances', module: new URL('./balances.projection.js', import.meta.url) });

// Before createRuntime, as for any instrumentation (a service would start @opentelemetry/sdk-node
// with its OTLP exporter; the in-memory exporter lets this program print what was traced).
const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

const inspected: string[] = [];
const inspect = (event: RehydraInspectionEvent) => inspected.push(`${event.type} ${event.actorRef.sessionId}`);
const logger: RuntimeLogger = { info: (obj, msg) => console.log(msg, obj), warn: (obj, msg) => console.warn(msg, obj), error: (obj, msg) => console.error(msg, obj) };

const runtime = await createRuntime({
  path: './data',
  aggregates: [account],
  projections: [balances],
  inspect,   // e.g. createWebSocketInspector().inspect from @statelyai/inspect
  logger,    // e.g. pino()
});

const request = trace.getTracer('bank-service').startSpan('POST /accounts/a-1');
const { position, events } = await context.with(trace.setSpan(context.active(), request), () =>
  runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 }));
request.end();
await runtime.projection('balances').waitFor(position);
// A process manager reacting to the event passes its trace context along: the next command links to it.
await runtime.send('account', 'a-2', { type: 'open', owner: 'bob', initial: 0 },
  { metadata: { traceparent: events[0]!.metadata.traceparent } });
await runtime.close();

const spans = exporter.getFinishedSpans();
console.log('event names its command span:', events[0]!.metadata.traceparent === `00-${request.spanContext().traceId}-${spans.find((s) => s.name === 'rehydra.send')!.spanContext().spanId}-01`);
console.log([...new Set(spans.map((span) => span.name))].sort().join(' '));
console.log(inspected.slice(0, 3).join(', '));
