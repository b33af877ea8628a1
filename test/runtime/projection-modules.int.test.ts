// Projection modules are loaded at createRuntime, on real worker threads over a real LMDB: a module
// that cannot load (absent, broken at import, without `handle`) refuses the start with
// ProjectionModuleError and leaves the directory as it was; a TypeScript module runs from its source.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defineProjection } from '../../projections/define-projection.js';
import { ProjectionModuleError, type ProjectionModuleProblem } from '../../projections/errors.js';
import { account } from '../../fixtures/bank-account.js';
import * as balancesModule from '../../fixtures/balances.projection.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { foldView } from '../fixtures/projection-kit.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';
import { rejectionOf } from '../fixtures/storage-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

interface BrokenModule {
  readonly name: string;
  /** The module's source; undefined for a file that does not exist. */
  readonly source: string | undefined;
  readonly reason: ProjectionModuleProblem;
  /** What the message says is wrong. */
  readonly detail: string;
}

const broken: readonly BrokenModule[] = [
  { name: 'absent', source: undefined, reason: 'not-found', detail: 'no file at file://' },
  { name: 'syntax', source: 'export function handle(event, view) {\n', reason: 'import-failed', detail: 'SyntaxError: Unexpected end of input' },
  { name: 'throws', source: 'throw new Error("BALANCES_URL is not set");\n', reason: 'import-failed', detail: 'Error: BALANCES_URL is not set' },
  {
    name: 'dependency', source: 'import "./gone.js";\nexport function handle() {}\n', reason: 'import-failed', detail: "Cannot find module '",
  },
  { name: 'no-handle', source: 'export function apply(event, view) {}\n', reason: 'invalid-exports', detail: 'does not export a handle(event, view) function' },
  { name: 'wrong-handle', source: 'export const handle = { event: true };\n', reason: 'invalid-exports', detail: "handle export is object, not a function" },
];

describe('a projection module that cannot load refuses the start', () => {
  it.each(broken)('$name: ProjectionModuleError ($reason) naming the module, and the directory serves the next runtime', async ({ name, source, reason, detail }) => {
    const path = harness.dir();
    const file = join(harness.dir(), `${name}.projection.mjs`);
    if (source !== undefined) writeFileSync(file, source);
    const module = pathToFileURL(file).href;
    const good = defineProjection({ name: 'balances', module: balancesProjectionUrl() });
    const bad = defineProjection({ name: 'bad', module: file });

    const error = await rejectionOf(harness.open({ path, aggregates: [account], projections: [good, bad] }));
    expect(error).toBeInstanceOf(ProjectionModuleError);
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_MODULE', projection: 'bad', module, reason });
    expect((error as ProjectionModuleError).detail).toContain(detail);
    expect((error as Error).message).toContain(`projection "bad" cannot load its module ${module} (${reason}): `);
    expect(existsSync(join(path, 'views')), 'the views environment was never opened').toBe(false);

    // The writer lock was released and the workers are gone: the next runtime starts and projects.
    const runtime = await harness.open({ path, aggregates: [account], projections: [good] });
    const { position } = await runtime.send('account', 'a-1', { type: 'open', owner: 'ada', initial: 100 });
    await runtime.projection('balances').waitFor(position);
    expect(runtime.projection('balances').get('a-1')).toEqual({ owner: 'ada', balance: 100, events: 1 });
  });

  it('names the first projection in order whose module cannot load', async () => {
    const missing = (name: string) => defineProjection({ name, module: join(harness.dir(), `${name}.mjs`) });
    const error = await rejectionOf(harness.open({ path: harness.dir(), aggregates: [account], projections: [missing('first'), missing('second')] }));
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_MODULE', projection: 'first', reason: 'not-found' });
  });
});

describe('a projection module written in TypeScript', () => {
  it('runs from its .ts source under vitest, with NodeNext `.js` imports of .ts files, and projects what the fold gives', async () => {
    const path = harness.dir();
    const typed = defineProjection({ name: 'typed', module: new URL('../fixtures/typed-balances.projection.ts', import.meta.url), partitions: 2 });
    const runtime = await harness.open({ path, aggregates: [account], projections: [typed] });
    for (const [id, owner] of [['a-1', 'ada'], ['a-2', 'bob'], ['a-3', 'cy']] as const) {
      await runtime.send('account', id, { type: 'open', owner, initial: 100 });
    }
    const { position } = await runtime.send('account', 'a-2', { type: 'deposit', amount: 25 });
    await runtime.projection('typed').waitFor(position);

    const entries = runtime.projection('typed').query();
    expect(entries).toEqual([...foldView(balancesModule, runtime.readAll()), { key: '~schema', value: { version: 2 } }]);
    expect(runtime.projection('typed').get('a-2')).toEqual({ owner: 'bob', balance: 125, events: 2 });
  });
});
