// Small files other processes read while this one may be writing them (the writer's claim, the
// open gate's request and answer): written whole or not at all, read as '' when absent.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Writes `file` through a temporary file and a rename: a reader never sees half of it. */
export function writeWhole(file: string, text: string): void {
  const temporary = `${file}.${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** The file's text, or '' when it cannot be read. */
export function textOf(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
