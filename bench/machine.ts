// Where and on what a run happened: date, Node version, CPU and the commit measured. Figures
// without these cannot be compared with anything later.
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';

/** The header of a results file. */
export interface Machine {
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly commit: string;
}

export function describeMachine(): Machine {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model.trim() ?? 'unknown'} × ${availableParallelism()}`,
    commit: gitCommit(),
  };
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // A dirty tree is not the commit it names: say so, or the figures get attributed to the wrong code.
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}
