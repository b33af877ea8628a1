// The guide's code is real: its example programs are built by `npm test` and run here in a
// temp directory, and what they print is what the guide says they do; an output block marked
// `<!-- output: docs/examples/… -->` is compared line for line with what its program prints.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, expect, test } from 'vitest';
import { startNatsCluster } from '../../fixtures/nats-servers.js';

const run = promisify(execFile);
const built = (name: string): string => fileURLToPath(new URL(`../../dist/docs/examples/guide/${name}.js`, import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rehydra-guide-'));
  dirs.push(dir);
  return dir;
}

test('the runtime tour sends, reads, upcasts and reads its writes back from a partitioned projection', async () => {
  const { stdout } = await run(process.execPath, [built('tour')], { cwd: tempDir() });
  expect(stdout.trim().split('\n')).toEqual(['sent: 4 u-7', 'upcasters: MoneyDeposited', 'snapshot fingerprint changed: true', 'balance: 107 lag: 0']);
});

test('the typing section: refusals explained, state typed, JSON validated by the schemas, events narrowed', async () => {
  const { stdout } = await run(process.execPath, [built('typed')], { cwd: tempDir() });
  expect(stdout.trim().split('\n')).toEqual(['refused by paysInFull', 'paid 30', "[ 'carrier' ]", 'placed for 30, paid 30, shipped by post']);
});

test('the timers section: a 30-minute after fires on advanceTime, a paid order\'s timer was cancelled', async () => {
  const { stdout } = await run(process.execPath, [built('timers')], { cwd: tempDir() });
  expect(stdout.trim().split('\n')).toEqual(["[ 'o-1 due in 30 min' ]", 'expired paid', 'xstate.after.1800000.order.placed true']);
});

test('the testing section: every spec holds, and a restarted test runtime keeps what was acknowledged', async () => {
  const { stdout } = await run(process.execPath, [built('testing')], { cwd: tempDir() });
  expect(stdout.trim().split('\n')).toEqual(["{ value: 'open', context: { balance: 10 }, version: 1 }", 'specs held']);
});

test('the testing section on time: the specs hold, advanceTime expires the order, and its two model paths hold on the runtime', async () => {
  const { stdout } = await run(process.execPath, [built('testing-time')], { cwd: tempDir() });
  expect(stdout.trim().split('\n')).toEqual([
    'expired',
    'place {"total":30} → placed; pay → paid',
    'place {"total":30} → placed; after 1800000 ms → expired',
    'specs and paths held',
  ]);
});

test('the "changing a machine safely" section: the check names the stranded stream, and passes once the upcaster is in', async () => {
  const { stdout } = await run(process.execPath, [built('check')], { cwd: tempDir() });
  expect(stdout.trim().split('\n')).toEqual(['stranded: account/a-1 at version 2: MoneyWithdrawn in "open"', 'checked 2 streams, 0 failed']);
});

test('every data-writing guide program reruns from one directory and leaves nothing in it', async () => {
  const cwd = tempDir();
  for (const name of ['tour', 'typed', 'check', 'troubleshooting', 'tour', 'typed', 'check', 'troubleshooting']) {
    await expect(run(process.execPath, [built(name)], { cwd }), name).resolves.toMatchObject({ stderr: '' });
  }
  expect(readdirSync(cwd)).toEqual([]);
});

test('the Troubleshooting section shows, line for line, the errors its program makes and prints', async () => {
  const guide = readFileSync(new URL('../../docs/guide.md', import.meta.url), 'utf8');
  const shown = /<!-- output: docs\/examples\/guide\/troubleshooting\.ts -->\n```text\n([\s\S]*?)```/.exec(guide)?.[1];
  expect(shown, 'docs/guide.md has no output block of troubleshooting.ts').toBeDefined();
  const { stdout } = await run(process.execPath, [built('troubleshooting')], { cwd: tempDir() });
  expect(stdout.split('\n')).toEqual(shown!.split('\n'));
  expect(stdout).toMatch(/^IllegalEventError \(ERR_ILLEGAL_EVENT\): account\/a-1 does not accept event "AccountOpened" in state "open"/);
});

test('the observing section: a command traced from the request through decide, commit and its projection, inspected, linked from the next', async () => {
  const { stdout } = await run(process.execPath, [built('observing')], { cwd: tempDir() });
  expect(stdout.trim().split('\n')).toEqual([
    'event names its command span: true',
    'POST /accounts/a-1 rehydra.commit rehydra.decide rehydra.project rehydra.send',
    '@xstate.actor account/a-1, @xstate.event account/a-1, @xstate.snapshot account/a-1',
  ]);
});

test('the cluster section: two nodes split the partitions, run each command on its owner, and hand over on close', async () => {
  const nats = await startNatsCluster({ nodes: 1 });
  try {
    const { stdout } = await run(process.execPath, [built('cluster')], { cwd: tempDir(), env: { ...process.env, NATS_URL: nats.urls } });
    const guide = readFileSync(new URL('../../docs/guide.md', import.meta.url), 'utf8');
    const shown = /<!-- output: docs\/examples\/guide\/cluster\.ts -->\n```text\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(shown).toBeDefined();
    expect(stdout).toBe(shown);
    expect(stdout).toMatch(/^a serves 3 partitions, b serves 5\n/);
  } finally {
    await nats.stop();
  }
}, 60_000);
