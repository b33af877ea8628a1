// Every command that reads a data directory refuses a path that is not one up front, with a
// message that says what to pass, before any storage is opened.
import { existsSync, statSync } from 'node:fs';
import { UsageError } from './command-line.js';

/** Throws UsageError unless `path` is an existing directory. */
export function requireDirectory(path: string): void {
  if (!existsSync(path)) throw new UsageError(`${path} does not exist: pass a rehydra data directory`);
  if (!statSync(path).isDirectory()) throw new UsageError(`${path} is not a directory: pass a rehydra data directory`);
}
