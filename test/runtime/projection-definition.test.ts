// defineProjection validates and freezes its options, naming the field at fault; the partition
// hash is FNV-1a over UTF-8 bytes, fixed forever since checkpoints are stored per partition.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fnv1a, partitionOf } from '../../projections/partition.js';
import { defineProjection, eventFilter } from '../../projections/define-projection.js';
import type { StoredEvent } from '../../storage/event-log.js';
import { thrownBy } from '../fixtures/storage-kit.js';

function storedEvent(aggregateType: string, type: string): StoredEvent {
  return { position: 1, aggregateType, aggregateId: 'a-1', version: 1, type, data: {}, metadata: { timestamp: 0 } };
}

describe('defineProjection', () => {
  it('fills defaults, resolves the module to a URL string and freezes the result', () => {
    const url = new URL('file:///srv/app/balances.projection.js');
    const definition = defineProjection({ name: 'balances', module: url });
    expect(definition).toEqual({ name: 'balances', module: url.href, partitions: 1, filter: undefined, handlerTimeoutMs: 30_000 });
    expect(Object.isFrozen(definition)).toBe(true);
    expect(defineProjection({ name: 'b', module: url, handlerTimeoutMs: Infinity }).handlerTimeoutMs).toBe(Infinity);
    expect(defineProjection({ name: 'b', module: 'dist/b.js' }).module).toBe(pathToFileURL(resolve('dist/b.js')).href);
    expect(defineProjection({ name: 'b', module: 'file:///srv/b.js' }).module).toBe('file:///srv/b.js');
  });

  it('copies and freezes the filter', () => {
    const eventTypes = ['AccountOpened'];
    const { filter } = defineProjection({ name: 'opened', module: 'file:///o.js', filter: { eventTypes } });
    eventTypes.push('MoneyDeposited');
    expect(filter).toEqual({ aggregateTypes: undefined, eventTypes: ['AccountOpened'] });
    expect(Object.isFrozen(filter!.eventTypes)).toBe(true);
  });

  it.each([
    [{ name: '', module: 'file:///b.js' }, TypeError, 'options.name must be a non-empty string'],
    [{ name: 'a\u0000b', module: 'file:///b.js' }, TypeError, 'options.name must be'],
    [{ name: 'b', module: 'file:///b.js', partitions: 0 }, RangeError, 'options.partitions must be a positive integer (got 0)'],
    [{ name: 'b', module: 'file:///b.js', partitions: 1.5 }, RangeError, 'options.partitions must be a positive integer (got 1.5)'],
    [{ name: 'b', module: 42 }, TypeError, 'options.module must be a path or URL of an ES module (got number)'],
    [{ name: 'b', module: 'file:///b.js', filter: { eventTypes: 'AccountOpened' } }, TypeError, 'options.filter.eventTypes must be an array of strings'],
    [{ name: 'b', module: 'file:///b.js', handlerTimeoutMs: 0 }, RangeError, 'options.handlerTimeoutMs must be a positive number of milliseconds or Infinity (got 0)'],
    [{ name: 'b', module: 'file:///b.js', handlerTimeoutMs: Number.NaN }, RangeError, 'options.handlerTimeoutMs must be a positive number of milliseconds or Infinity (got NaN)'],
    [{ name: 'b', module: 'file:///b.js', handlerTimeoutMs: '500' }, RangeError, 'options.handlerTimeoutMs must be a positive number of milliseconds or Infinity (got "500")'],
  ])('refuses %j', (options, type, message) => {
    const error = thrownBy(() => defineProjection(options as never));
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toContain(message);
  });
});

describe('eventFilter', () => {
  it('keeps events matching every list given', () => {
    const matches = eventFilter({ aggregateTypes: ['account'], eventTypes: ['MoneyDeposited'] });
    expect(matches(storedEvent('account', 'MoneyDeposited'))).toBe(true);
    expect(matches(storedEvent('account', 'AccountOpened'))).toBe(false);
    expect(matches(storedEvent('ledger', 'MoneyDeposited'))).toBe(false);
    expect(eventFilter(undefined)(storedEvent('ledger', 'Anything'))).toBe(true);
  });
});

describe('partitionOf', () => {
  it('hashes with FNV-1a over UTF-8 bytes (published test vectors, then non-ASCII)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    const bytewise = (text: string) => [...Buffer.from(text)].reduce((hash, byte) => Math.imul(hash ^ byte, 0x01000193) >>> 0, 0x811c9dc5);
    for (const id of ['é-1', 'a-😀', 'ünïcødé', 'x'.repeat(100) + 'ß']) expect(fnv1a(id)).toBe(bytewise(id));
  });

  it('maps an id to the same partition every time, within range', () => {
    expect(partitionOf('anything', 1)).toBe(0);
    expect([partitionOf('a-1', 2), partitionOf('a-2', 2), partitionOf('b', 2)]).toEqual([0, 1, 1]);
    for (let i = 0; i < 1000; i++) expect(partitionOf(`a-${i}`, 3)).toBe(fnv1a(`a-${i}`) % 3);
  });
});
