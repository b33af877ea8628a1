// A fresh directory per scenario under the OS temp folder, removed after it (even when it
// throws), so each scenario starts from an empty LMDB and the disk does not fill up run after run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory that exists until `remove()`. */
export interface TempDir {
  readonly path: string;
  remove(): void;
}

/** Creates `<tmp>/rehydra-bench-<prefix>-XXXXXX`. */
export function createTempDir(prefix: string): TempDir {
  // No dots: lmdb-js reads a path with an extension as a file name (noSubdir), not a directory.
  const path = mkdtempSync(join(tmpdir(), `rehydra-bench-${prefix.replace(/[^\w-]/g, '_')}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
