// A tracer provider as a service registers one, minus the shipping: every span sampled and
// batched, then dropped by the exporter. What is measured is making and recording spans.
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type Sampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** An exporter that drops every span. */
const DROP_SPANS: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }), // ExportResultCode.SUCCESS
  shutdown: () => Promise.resolve(),
};

/**
 * Registers the global provider (with `sampler`, or the SDK's default that samples every trace)
 * and returns what unregisters it: the scenarios after it run untraced, because their runtimes
 * find no provider.
 */
export function registerDroppingTracer(sampler?: Sampler): () => Promise<void> {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(DROP_SPANS)], ...(sampler ? { sampler } : {}) });
  trace.setGlobalTracerProvider(provider);
  return async () => {
    trace.disable();
    await provider.shutdown();
  };
}
