// One data directory, written and read by every maintained Node line in turn: what one line wrote,
// the next reads back exactly, then appends to. CI sets REHYDRA_NODE_BINARIES to the other lines'
// `node` executables (colon-separated); without it the steps all run on this process's Node.
import { afterEach, describe, expect, it } from 'vitest';
import { compiledFixture, runFixture } from '../fixtures/child-fixture.js';
import type { PortableReading } from '../fixtures/portable-step.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

const others = (process.env.REHYDRA_NODE_BINARIES ?? '').split(':').filter((path) => path.length > 0);
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

async function step(node: string, path: string, index: number): Promise<{ before: PortableReading; after: PortableReading }> {
  const child = runFixture(compiledFixture('portable-step'), [path, String(index)], { node });
  const [before, after] = (await child.waitForLines(2)).map((line) => JSON.parse(line) as PortableReading);
  const { code } = await child.exited;
  expect(code).toBe(0);
  return { before: before!, after: after! };
}

describe('a data directory moves between Node lines', () => {
  async function walk(nodes: readonly string[]): Promise<void> {
    const path = tempDataDir();
    dirs.push(path);
    let previous: PortableReading | undefined;
    const versions = new Set<string>();
    for (const [index, node] of nodes.entries()) {
      const { before, after } = await step(node, path, index);
      versions.add(before.node);
      expect({ events: before.events, states: before.states }).toEqual(
        previous ? { events: previous.events, states: previous.states } : { events: 0, states: {} },
      );
      expect(after.events).toBe(before.events + 5);
      expect(after.lastOwnerLength).toBe(40_000);
      previous = after;
    }
    expect(versions.size).toBe(new Set(nodes).size);
  }

  it('on this Node: each reopen reads exactly what the previous one left, then appends', async () => {
    await walk([process.execPath, process.execPath]);
  });

  // CI passes the other lines' binaries (.ci/run); a plain `npm test` reports this one as skipped.
  it.runIf(others.length > 0)('from every line to every other and back: each reads what the previous wrote, then appends', async () => {
    await walk([process.execPath, ...others, process.execPath, ...[...others].reverse()]);
  });
});
