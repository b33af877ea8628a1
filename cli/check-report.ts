// `rehydra check`'s report for people: what failed first (stream, version, event, state, error),
// then the warnings, then one verdict line that matches the exit code.
import type { CheckResult } from '../runtime/check-result.js';
import { inline, table } from './format.js';

/** Whether the check passes: no stream failed and every stored type had a definition. */
export function passed(result: CheckResult): boolean {
  return result.failed.length === 0 && result.unchecked.length === 0;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function indented(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** The check's result as text; the last line is the verdict (`ok: …` or `FAILED: …`). */
export function formatCheckText(result: CheckResult): string {
  const lines = [`checked ${plural(result.streams, 'stream')}`];
  const { failed, unknownStates, unchecked } = result;
  if (failed.length > 0) {
    lines.push(`${plural(failed.length, 'stream')} would fail to rehydrate (add an upcaster, or restore what the machine accepted):`, indented(table(
      ['STREAM', 'VERSION', 'EVENT', 'STATE', 'ERROR'],
      failed.map((f) => [`${f.aggregateType}/${f.aggregateId}`, String(f.version), f.eventType, inline(f.state), f.error]),
    )));
  }
  if (result.staleSnapshots > 0) {
    lines.push(`${plural(result.staleSnapshots, 'stored snapshot')} no longer match the machines: those streams replay in full once`);
  }
  if (unknownStates.length > 0) {
    lines.push(`${plural(unknownStates.length, 'stream')} had a snapshot in a state the machine no longer has:`, indented(table(
      ['STREAM', 'VERSION', 'STATE', 'MISSING'],
      unknownStates.map((u) => [`${u.aggregateType}/${u.aggregateId}`, String(u.version), inline(u.state), u.missing]),
    )));
  }
  if (unchecked.length > 0) {
    lines.push('streams of types no module passed to --aggregates defines were not checked:', indented(table(
      ['TYPE', 'STREAMS'], unchecked.map((u) => [u.aggregateType, String(u.streams)]),
    )));
  }
  lines.push(passed(result) ? 'ok: every stream replays through the current machines' : `FAILED: ${verdict(result)}`);
  return lines.join('\n');
}

function verdict(result: CheckResult): string {
  const reasons: string[] = [];
  if (result.failed.length > 0) reasons.push(`${plural(result.failed.length, 'stream')} would fail`);
  const unchecked = result.unchecked.reduce((sum, u) => sum + u.streams, 0);
  if (unchecked > 0) reasons.push(`${plural(unchecked, 'stream')} of unknown types went unchecked`);
  return reasons.join(', ');
}
