// The example service traced as a service would be: with a tracer provider and a context manager
// registered, each HTTP request is a server span named for its route, and the runtime's
// `rehydra.send` for the command it carried is its child, in the same trace (issue 14's "from the
// HTTP request to the projection"). A file of its own: the provider is process-wide.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBankService } from '../../docs/examples/bank-service/server.js';

const exporter = new InMemorySpanExporter();
const manager = new AsyncLocalStorageContextManager();
let service: Awaited<ReturnType<typeof startBankService>>;
let dir: string;

beforeAll(async () => {
  context.setGlobalContextManager(manager.enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  dir = mkdtempSync(join(tmpdir(), 'rehydra-bank-traced-'));
  service = await startBankService({ path: dir, port: 0 });
});

afterAll(async () => {
  await service?.close();
  trace.disable();
  context.disable();
  rmSync(dir, { recursive: true, force: true });
});

test('a request is a server span named for its route, and the command it sends is its child', async () => {
  const res = await fetch(`${service.url}/accounts/t-1/open`, { method: 'POST', body: JSON.stringify({ owner: 'ann', initial: 5 }), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(200);
  const refused = await fetch(`${service.url}/accounts/t-1/withdraw`, { method: 'POST', body: JSON.stringify({ amount: 50 }), headers: { 'content-type': 'application/json' } });
  expect(refused.status).toBe(422);
  await expect.poll(() => exporter.getFinishedSpans().filter((span) => span.name === 'POST /accounts/:id/:command').length).toBe(2);
  const spans = exporter.getFinishedSpans();
  const [opened, withdrawn] = spans.filter((span) => span.name === 'POST /accounts/:id/:command');
  expect(opened!.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/accounts/t-1/open', 'http.response.status_code': 200 });
  expect(withdrawn!.attributes['http.response.status_code']).toBe(422);
  const sends = spans.filter((span) => span.name === 'rehydra.send');
  expect(sends.map((span) => [span.spanContext().traceId, span.parentSpanContext?.spanId])).toEqual([
    [opened!.spanContext().traceId, opened!.spanContext().spanId],
    [withdrawn!.spanContext().traceId, withdrawn!.spanContext().spanId],
  ]);
  expect(sends.map((span) => span.attributes['rehydra.outcome'])).toEqual(['accepted', 'rejected']);
});
