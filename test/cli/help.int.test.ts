// Every command-line entry point as users run it, in a child process: `--help` prints the options
// and an example on stdout and exits 0; a mistake is one line on stderr naming the option and what
// it expected, exit code 2, no stack trace; a long run shows progress on stderr.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rehydra, type Run } from '../fixtures/cli-kit.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The built load test of the example service, run from the project root. */
function loadTest(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'dist', 'docs', 'examples', 'bank-service', 'load-test.js'), ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('rehydra --help', () => {
  it.each([
    [[], ['Usage: rehydra inspect <path> <command>', 'Usage: rehydra check <path> --aggregates <module.js>']],
    [['--help'], ['Usage: rehydra inspect <path> <command>', 'Usage: rehydra check <path> --aggregates <module.js>']],
    [['inspect', '--help'], ['Usage: rehydra inspect <path> <command>', 'rehydra inspect ./data state account a-1 --version 3']],
    [['inspect', './data', 'state', '-h'], ['Usage: rehydra inspect <path> <command>', '--version V']],
    [['check', '--help'], ['Usage: rehydra check <path> --aggregates <module.js>', 'rehydra check ./data --aggregates ./dist/domain/aggregates.js']],
  ])('%j prints the options and an example, and exits 0', async (args, fragments) => {
    const run = await rehydra(...args);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    for (const fragment of fragments) expect(run.stdout).toContain(fragment);
    expect(run.stdout).toMatch(/\nexamples?:\n/);
  });

  it('keeps each command\'s help to its own command', async () => {
    expect((await rehydra('inspect', '--help')).stdout).not.toContain('--aggregates');
    expect((await rehydra('check', '--help')).stdout).not.toContain('projections');
  });

  it('exits 2 with one line, and no stack trace, for an unknown command', async () => {
    const run = await rehydra('frob');
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'rehydra: unknown command "frob": one of inspect, check (see rehydra --help)\n' });
  });
});

describe('npm run example:load', () => {
  it('answers --help with its options and an example', async () => {
    const run = await loadTest('--help');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('usage: npm run example:load -- [options]');
    expect(run.stdout).toContain('--duration <s>');
    expect(run.stdout).toContain('example:\n  npm run build && npm run example:load -- --duration 30');
  });

  it.each([
    [['--duration', 'abc'], '--duration must be an integer of at least 1 (got "abc")'],
    [['--connections', '0'], '--connections must be an integer of at least 1 (got "0")'],
    [['--accounts'], '--accounts expects a number of accounts, e.g. --accounts 1000'],
    [['--frob'], 'unknown option --frob: expected one of --duration, --connections, --accounts, --help'],
    [['10'], 'unexpected argument "10": options start with --'],
  ])('refuses %j in one line naming the option, exit 2', async (args, message) => {
    const run = await loadTest(...args);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/^load-test: [^\n]+ \(see --help\)\n$/);
    expect(run.stderr).toContain(message);
  });

  it('shows a progress line a second on stderr while it runs, the figures on stdout', async () => {
    const run = await loadTest('--duration', '2', '--connections', '2', '--accounts', '5');
    expect(run.code).toBe(0);
    expect(run.stderr.trimEnd().split('\n').map((line) => line.replace(/, \d+ requests$/, ''))).toEqual(['load: 1/2 s', 'load: 2/2 s']);
    expect(run.stdout).toContain('bank service load test: 2 s, 2 connections, 5 accounts');
    expect(run.stdout).toMatch(/requests\/s: \d+/);
  });
});

describe('the example bank service (main.js)', () => {
  const service = (...args: string[]): Promise<Run> => new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'dist', 'docs', 'examples', 'bank-service', 'main.js'), ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });

  it('answers --help with its arguments and an example', async () => {
    const run = await service('--help');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('usage: node dist/docs/examples/bank-service/main.js [dataDir] [port]');
    expect(run.stdout).toContain('example:\n  node dist/docs/examples/bank-service/main.js ./bank-data 8080');
  });

  it('refuses a bad port in one line, exit 2, before it touches a directory', async () => {
    const run = await service('/nonexistent/never-created', 'http');
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'bank service: port must be an integer from 0 to 65535 (got "http"); see --help\n' });
  });
});
