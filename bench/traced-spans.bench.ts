// What tracing alone costs a command: the spans the runtime's OpenTelemetry binding makes for one
// command (rehydra.send with its attributes, rehydra.decide and rehydra.commit as its children,
// the traceparent its events carry), on the provider commands.10k.observed registers, without
// the command. From it, the ceiling a traced command path can reach in this run:
// 1 / (1/commands.10k + 1/raw.otel.spans), which commands.10k.observed is shown against.
import { loadTracing } from '../runtime/tracing.js';
import { registerDroppingTracer } from './dropping-tracer.js';
import { measureMicro } from './micro.js';
import { figureOf, type Reference, type Scenario } from './scenario.js';

export const TRACED_SPANS_KEY = 'raw.otel.spans';

/** commands.10k with every command's spans added: what commands.10k.observed could reach at best. */
export const TRACED_CEILING: Reference = {
  label: 'traced ceiling',
  value: (results) => {
    const commands = results.get('commands.10k')?.perSec;
    const spans = results.get(TRACED_SPANS_KEY)?.perSec;
    return commands === undefined || spans === undefined ? undefined : 1 / (1 / commands + 1 / spans);
  },
};

const STREAM = { type: 'account', id: 'a-1' };
const RESULT = { version: 7, position: 7 };
const DURABLE = Promise.resolve();

const tracedSpans: Scenario = {
  key: TRACED_SPANS_KEY,
  title: "one command's spans without the command: what tracing alone costs (rehydra.send, rehydra.decide, rehydra.commit)",
  rounds: 3,
  settings:
    "the runtime's tracing binding on a registered BasicTracerProvider (every span sampled, a batch processor, an exporter that drops " +
    'them), as commands.10k.observed; tinybench, one command\'s three spans per iteration',
  figures: { perSec: { against: figureOf('commands.10k', 'perSec') } },
  run: async (context) => {
    const unregister = registerDroppingTracer();
    try {
      const tracing = await loadTracing();
      if (!tracing) throw new Error('@opentelemetry/api is a devDependency: it must load here');
      return await measureMicro(
        "a command's spans",
        () => {
          const trace = tracing.command(STREAM, 'deposit', {}, performance.now())!;
          trace.decide(() => undefined);
          trace.commit(DURABLE);
          trace.end('accepted', RESULT);
        },
        { quick: context.quick },
      );
    } finally {
      await unregister();
    }
  },
};

export const scenarios: readonly Scenario[] = [tracedSpans];
