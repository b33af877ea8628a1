// A batch's view over a real views environment: reads go through its own writes, range reads
// merge them with the committed entries in LMDB key order, and a commit writes the changes and
// the checkpoint together, or nothing when a read went stale under another partition's commit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionCache } from '../../projections/partition-cache.js';
import { ViewBatch, type ForeignWrites } from '../../projections/view-batch.js';
import { openViewStore, type ViewStore } from '../../storage/views.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

let dir: string;
let store: ViewStore;
let caches = 0;

function batch(partitions?: ForeignWrites): ViewBatch {
  return new ViewBatch(store, 'p', 1, partitions, PartitionCache.open(`${dir}/${++caches}`, 0));
}

function committed(entries: Record<string, unknown>): void {
  const setup = batch();
  for (const [key, value] of Object.entries(entries)) setup.put(key, value);
  expect(setup.commit(0, 1)).toBe(true);
}

beforeEach(() => {
  dir = tempDataDir();
  store = openViewStore(dir);
});

afterEach(async () => {
  await store.close();
  removeDir(dir);
});

describe('ViewBatch', () => {
  it('reads its own writes and deletes before they are committed', () => {
    committed({ a: 1, b: 2 });
    const view = batch();
    view.put('a', 10);
    view.delete('b');
    view.put('c', { n: 3 });
    expect([view.get('a'), view.get('b'), view.get('c'), view.get('d')]).toEqual([10, undefined, { n: 3 }, undefined]);
    expect(store.getRaw('p', 1, 'a')).not.toBeUndefined();
    expect(store.range('p', 1)).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
  });

  it('stores a value as it was at put(), like a direct LMDB put', () => {
    const view = batch();
    const value = { balance: 1 };
    view.put('a', value);
    value.balance = 99;
    expect(view.get('a')).toEqual({ balance: 1 });
  });

  it('merges uncommitted changes into range reads, in UTF-8 key order, within start/end/limit', () => {
    committed({ 'a-1': 1, 'a-2': 2, 'a-3': 3, '\uE000': 'bmp', '😀': 'astral' });
    const view = batch();
    view.delete('a-2');
    view.put('a-25', 25);
    view.put('a-4', 4);
    expect(view.range({ start: 'a-1', end: 'a-4' })).toEqual([{ key: 'a-1', value: 1 }, { key: 'a-25', value: 25 }, { key: 'a-3', value: 3 }]);
    expect(view.range({ start: 'a-1', limit: 3 }).map((entry) => entry.key)).toEqual(['a-1', 'a-25', 'a-3']);
    expect(view.range({ start: 'b' }).map((entry) => entry.key)).toEqual(['\uE000', '😀']);
  });

  it('commits the changes and the checkpoint together', () => {
    const view = batch();
    view.put('a', 1);
    expect(store.checkpoint('p', 1, 0)).toBeUndefined();
    expect(view.commit(0, 42)).toBe(true);
    expect(store.checkpoint('p', 1, 0)).toBe(42);
    expect(store.range('p', 1)).toEqual([{ key: 'a', value: 1 }]);
  });

  it('refuses a commit whose read another partition changed, writing nothing', () => {
    committed({ total: 1 });
    const flag: ForeignWrites = { markForeignWrites: () => undefined, foreignWrites: () => true };
    const mine = batch(flag);
    mine.owner = 'a-1';
    mine.put('total', (mine.get('total') as number) + 1);
    const theirs = batch(flag);
    theirs.owner = 'b-1';
    theirs.put('total', (theirs.get('total') as number) + 1);
    expect(theirs.commit(1, 7)).toBe(true);
    expect(mine.commit(0, 9)).toBe(false);
    expect(store.checkpoint('p', 1, 0)).toBe(1);
    expect(store.range('p', 1)).toEqual([{ key: 'total', value: 2 }]);
  });

  it("raises the foreign-writes flag when a partition writes a key that is not its event's aggregate id", () => {
    let raised = false;
    const view = batch({ markForeignWrites: () => void (raised = true), foreignWrites: () => raised });
    view.owner = 'a-1';
    view.put('a-1', 1);
    expect(raised).toBe(false);
    view.put('a-2', 1);
    expect(raised).toBe(true);
  });
});
