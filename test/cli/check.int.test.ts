// `rehydra check` as users and CI run it: the built CLI in a child process, against data directories
// the real runtime wrote with one machine, checked with modules exporting edits of it. Exit codes,
// the JSON report by value, the text report's rows, progress kept off stdout, and usage errors.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayError } from '../../actors/errors.js';
import { accountV1, note, writeAccounts } from '../fixtures/check-accounts.js';
import { compiledFixture } from '../fixtures/child-fixture.js';
import { rehydra } from '../fixtures/cli-kit.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
let dir: string;
let mixed: string;
/** Module files by name, each re-exporting some definitions of the compiled check-accounts fixture. */
const modules: Record<string, string> = {};

/** Writes `source` as the module `<folder>/<name>.mjs` and returns its path. */
function moduleFile(folder: string, name: string, source: string): string {
  const file = join(folder, `${name}.mjs`);
  writeFileSync(file, source);
  return file;
}

beforeAll(async () => {
  const fixture = pathToFileURL(compiledFixture('check-accounts')).href;
  const folder = harness.dir();
  for (const name of ['accountV1', 'withoutClose', 'withoutFrozen']) modules[name] = moduleFile(folder, name, `export { ${name} } from '${fixture}';\n`);
  modules.list = moduleFile(folder, 'list', `import { accountV1, note } from '${fixture}';\nexport const aggregates = [accountV1, note];\n`);
  modules.ambiguous = moduleFile(folder, 'ambiguous', `export { accountV1, withoutClose } from '${fixture}';\n`);
  modules.none = moduleFile(folder, 'none', 'export const answer = 42;\n');
  dir = harness.dir();
  const runtime = await harness.open({ path: dir, aggregates: [accountV1] });
  await writeAccounts(runtime);
  await harness.close(runtime);
  mixed = harness.dir();
  const both = await harness.open({ path: mixed, aggregates: [accountV1, note] });
  await both.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 1 });
  await both.send('note', 'n-1', { type: 'write', text: 'hello' });
  await harness.close(both);
});

afterAll(() => harness.cleanup());

const strandedA2 = {
  aggregateType: 'account', aggregateId: 'a-2', version: 3, eventType: 'AccountClosed', state: 'open',
  error: new ReplayError('account/a-2', 3, 'AccountClosed', 'open').message,
};

describe('rehydra check', () => {
  it('exits 0 when every stream replays, with a report for people and one for CI', async () => {
    const text = await rehydra('check', dir, '--aggregates', modules.accountV1!);
    expect(text).toEqual({ code: 0, stdout: 'checked 5 streams\nok: every stream replays through the current machines\n', stderr: '' });
    const json = await rehydra('check', dir, '--aggregates', modules.accountV1!, '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({ streams: 5, failed: [], staleSnapshots: 0, unknownStates: [], unchecked: [] });
  });

  it('exits 1 and names the stranded stream, its version, event, state and error', async () => {
    const json = await rehydra('check', dir, '--aggregates', modules.withoutClose!, '--json');
    expect(json).toMatchObject({ code: 1, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({ streams: 5, failed: [strandedA2], staleSnapshots: 4, unknownStates: [], unchecked: [] });
    const text = await rehydra('check', dir, '--aggregates', modules.withoutClose!);
    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[1]).toBe('1 stream would fail to rehydrate (add an upcaster, or restore what the machine accepted):');
    expect(lines[2]).toMatch(/^ {2}STREAM\s+VERSION\s+EVENT\s+STATE\s+ERROR$/);
    expect(lines[3]).toBe(`  account/a-2  3        AccountClosed  "open"  ${strandedA2.error}`);
    expect(lines.slice(4)).toEqual(['4 stored snapshots no longer match the machines: those streams replay in full once', 'FAILED: 1 stream would fail']);
  });

  it('lists snapshots in states the machine no longer has', async () => {
    const text = await rehydra('check', dir, '--aggregates', modules.withoutFrozen!);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('1 stream had a snapshot in a state the machine no longer has:\n  STREAM       VERSION  STATE     MISSING\n  account/a-3  2        "frozen"  frozen\n');
  });

  it('checks named streams, a type, or a sample', async () => {
    const named = await rehydra('check', dir, '--aggregates', modules.withoutClose!, '--stream', 'account/a-2', '--stream', 'account/a-5', '--json');
    expect(JSON.parse(named.stdout)).toEqual({ streams: 2, failed: [strandedA2], staleSnapshots: 1, unknownStates: [], unchecked: [] });
    const typed = await rehydra('check', mixed, '--aggregates', modules.accountV1!, '--type', 'account', '--json');
    expect(typed).toMatchObject({ code: 0 });
    expect(JSON.parse(typed.stdout)).toEqual({ streams: 1, failed: [], staleSnapshots: 0, unknownStates: [], unchecked: [] });
    const sampled = await rehydra('check', dir, '--aggregates', modules.accountV1!, '--sample', '2', '--json');
    expect(JSON.parse(sampled.stdout)).toMatchObject({ streams: 2, failed: [] });
  });

  it('exits 1 when stored streams have a type no module defines, and loads definitions from an exported array', async () => {
    const text = await rehydra('check', mixed, '--aggregates', modules.accountV1!);
    expect(text).toMatchObject({ code: 1, stderr: '' });
    expect(text.stdout).toBe([
      'checked 1 stream', 'streams of types no module passed to --aggregates defines were not checked:', '  TYPE  STREAMS', '  note  1',
      'FAILED: 1 stream of unknown types went unchecked', '',
    ].join('\n'));
    const all = await rehydra('check', mixed, '--aggregates', modules.list!, '--json');
    expect(all).toMatchObject({ code: 0 });
    expect(JSON.parse(all.stdout)).toEqual({ streams: 2, failed: [], staleSnapshots: 0, unknownStates: [], unchecked: [] });
  });

  it('writes progress to stderr only when asked (or on a terminal), keeping stdout one JSON document', async () => {
    const run = await rehydra('check', dir, '--aggregates', modules.withoutClose!, '--json', '--progress');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ streams: 5 });
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('checked 5/5 streams, 1 failed');
  });

  it.each([
    [['--sample', '0'], '--sample must be an integer of at least 1 (got "0")'],
    [['--frob'], 'unknown option --frob: expected one of --aggregates, --type, --stream, --sample, --json, --progress, --help'],
    [['--sample'], '--sample expects a number of streams, e.g. --sample 100'],
    [['--stream', 'a-2'], '--stream must be <type>/<id>, e.g. account/a-1 (got "a-2")'],
    [['--type', 'order'], '--type order: no module passed to --aggregates defines aggregate "order" (found: account)'],
    [['--stream', 'account/zz'], 'stream account/zz has no events in'],
  ])('exits 2 with one line for %j', async (args, message) => {
    const run = await rehydra('check', dir, '--aggregates', modules.accountV1!, ...args);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/^rehydra: [^\n]+\n$/);
    expect(run.stderr).toContain(message);
  });

  it('exits 2 with one line when the check cannot run: no path, no module, a module without (or with clashing) definitions, not a data directory', async () => {
    const notData = join(harness.dir(), 'empty');
    mkdirSync(notData);
    const cases: Array<[string[], string]> = [
      [['check'], 'check needs <path>'],
      [['check', dir], 'check needs --aggregates <module.js>'],
      [['check', join(dir, 'nope'), '--aggregates', modules.accountV1!], 'does not exist'],
      [['check', notData, '--aggregates', modules.accountV1!], 'is not a rehydra data directory'],
      [['check', dir, '--aggregates', join(dir, 'missing.js')], 'could not be loaded'],
      [['check', dir, '--aggregates', modules.none!], 'exports no aggregate definition'],
      [['check', dir, '--aggregates', modules.ambiguous!], 'two definitions of aggregate "account" whose machines or upcasters differ'],
    ];
    for (const [args, message] of cases) {
      const run = await rehydra(...args);
      expect(run, args.join(' ')).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr, args.join(' ')).toMatch(/^rehydra: [^\n]+\n$/);
      expect(run.stderr, args.join(' ')).toContain(message);
    }
    expect((await rehydra('check', '--help')).stdout).toContain('rehydra check <path> --aggregates <module.js>');
  });
});

describe('rehydra check while a runtime writes', () => {
  it('reads without the writer lock, and the writer goes on', async () => {
    const live = harness.dir();
    const runtime = await harness.open({ path: live, aggregates: [accountV1] });
    await writeAccounts(runtime);
    const inFlight = Array.from({ length: 20 }, () => runtime.send('account', 'a-1', { type: 'deposit', amount: 1 }));
    const run = await rehydra('check', live, '--aggregates', modules.withoutClose!, '--json');
    expect(run).toMatchObject({ code: 1, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ streams: 5, failed: [strandedA2], staleSnapshots: 4, unknownStates: [], unchecked: [] });
    await Promise.all(inFlight);
    await expect(runtime.send('account', 'a-6', { type: 'open', owner: 'a-6', initial: 1 })).resolves.toMatchObject({ version: 1 });
    expect(await rehydra('check', live, '--aggregates', modules.accountV1!)).toMatchObject({ code: 0, stdout: expect.stringContaining('checked 6 streams') });
  });
});
