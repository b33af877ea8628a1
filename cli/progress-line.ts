// One line of progress on stderr for a long run, kept apart from the report on stdout: redrawn in
// place on a terminal, or one plain line a second in a file or CI log (no control characters there).

/** Where a progress line is written, and whether it is a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** A progress line: `update` with the latest text (`final` shows it whatever the pace), `end` when the run ends. */
export interface ProgressLine {
  update(text: string, final?: boolean): void;
  end(): void;
}

/** Most updates a second on a terminal, where the line is redrawn; elsewhere one line a second. */
const REDRAW_MS = 100;
const LINE_MS = 1_000;

/** A progress line on `stream` when it is a terminal or `forced`; undefined when neither. */
export function createProgressLine(stream: ProgressStream, forced: boolean): ProgressLine | undefined {
  const terminal = stream.isTTY === true;
  if (!terminal && !forced) return undefined;
  let last = 0;
  let drawn = false;
  return {
    update(text, final = false) {
      const now = performance.now();
      if (now - last < (terminal ? REDRAW_MS : LINE_MS) && !final) return;
      last = now;
      drawn = true;
      stream.write(terminal ? `\r${text}\x1b[K` : `${text}\n`);
    },
    end() {
      // A terminal's line is erased so the report starts clean; a log keeps its last line.
      if (terminal && drawn) stream.write('\r\x1b[K');
    },
  };
}
