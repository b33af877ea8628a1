// The bench's command line: what it accepts, and a mistake reported as one line naming the option.
import { describe, expect, it } from 'vitest';
import { matchesKey, parseBenchArgs } from '../../bench/args.js';
import { UsageError } from '../../cli/command-line.js';

const KEYS = ['raw.lmdb.put', 'raw.xstate.send', 'commands.10k', 'curve.inflight'];

function mistake(argv: readonly string[]): UsageError {
  try {
    parseBenchArgs(argv, KEYS);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

const CLUSTER_KEYS = ['cluster.raw.publish', 'cluster.commands', 'cluster.failover'];

describe('parseBenchArgs', () => {
  it('reads no options as a full run of every scenario', () => {
    expect(parseBenchArgs([], KEYS)).toEqual({ help: false, quick: false, cluster: false, only: undefined, compare: undefined });
  });

  it('reads --quick, --only with prefixes, --compare and -h', () => {
    expect(parseBenchArgs(['--quick', '--only', 'raw.*, commands.10k', '--compare=old.json', '-h'], KEYS)).toEqual({
      help: true,
      quick: true,
      cluster: false,
      only: ['raw.*', 'commands.10k'],
      compare: 'old.json',
    });
  });

  it('reads --cluster, whose --only names cluster scenarios only', () => {
    expect(parseBenchArgs(['--cluster', '--only', 'cluster.raw.*'], KEYS, CLUSTER_KEYS)).toMatchObject({ cluster: true, only: ['cluster.raw.*'] });
    expect(() => parseBenchArgs(['--cluster', '--only', 'commands.10k'], KEYS, CLUSTER_KEYS)).toThrow('--only: no scenario "commands.10k" (expected one of cluster.raw.publish');
    expect(() => parseBenchArgs(['--only', 'cluster.commands'], KEYS, CLUSTER_KEYS)).toThrow('names cluster scenarios, which run under --cluster only');
  });

  it.each([
    [['--fast'], 'unknown option --fast: expected one of --quick, --only, --compare, --help'],
    [['--quick=yes'], '--quick takes no value (got "yes")'],
    [['--only'], '--only expects a comma-separated list of scenario keys'],
    [['--only='], '--only expects a comma-separated list of scenario keys'],
    [['--only', '--quick'], '--only expects a comma-separated list of scenario keys'],
    [['--compare'], '--compare expects the path of a results file'],
    [['--only', 'commands.1k'], '--only: no scenario "commands.1k" (expected one of raw.lmdb.put, raw.xstate.send'],
    [['quick'], 'unexpected argument "quick": options start with --'],
  ])('reports %j as one line naming the option: %s', (argv, fragment) => {
    const error = mistake(argv);
    expect(error.message).toContain(fragment);
    expect(error.message).not.toContain('\n');
  });
});

describe('matchesKey', () => {
  it('matches a key exactly, or by prefix with a trailing *', () => {
    expect(KEYS.filter((key) => matchesKey('raw.*', key))).toEqual(['raw.lmdb.put', 'raw.xstate.send']);
    expect(KEYS.filter((key) => matchesKey('commands.10k', key))).toEqual(['commands.10k']);
    expect(KEYS.filter((key) => matchesKey('commands', key))).toEqual([]);
  });
});
