// Human-readable and JSON renderings of the CLI's reports. Owns: JSON output is one document
// that any stored value survives (bigint becomes a string), so scripts can always parse it.
import type { InspectedEvent, InspectedState, Report } from './inspect.js';

/** A report as one JSON document. */
export function formatJson(report: unknown): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
}

/** The report as aligned text for people. */
export function formatText(report: Report): string {
  switch (report.command) {
    case 'streams':
      if (report.streams.length === 0) return 'no streams';
      return table(['TYPE', 'ID', 'VERSION', 'POSITION'], report.streams.map((s) => [s.type, s.id, String(s.version), String(s.position)]));
    case 'events':
    case 'log':
      return report.events.length === 0 ? 'no events' : eventTable(report.events);
    case 'state':
      return `${report.type}/${report.id}\n${stateText(report.state)}`;
    case 'projections': {
      if (report.projections.length === 0) return `log head ${report.head}\nno projections have run in this data directory`;
      const rows = report.projections.flatMap((p) => [
        [p.name, String(p.generation), '*', String(p.position), String(p.lag)],
        ...p.partitions.map((part) => [p.name, String(p.generation), String(part.partition), String(part.position), String(part.lag)]),
      ]);
      return `log head ${report.head}\n${table(['PROJECTION', 'GENERATION', 'PARTITION', 'CHECKPOINT', 'LAG'], rows)}`;
    }
    case 'timers':
      if (report.timers.length === 0) return 'no pending timers';
      return table(
        ['DUE', 'STREAM', 'TIMER', 'OVERDUE'],
        report.timers.map((t) => [t.due, `${t.type}/${t.id}`, t.timer, t.overdue ? `yes (now ${report.now})` : 'no']),
      );
  }
}

function stateText(state: InspectedState): string {
  if (state.mode === 'computed') {
    return [
      `version  ${state.version} (computed by the aggregate module: ${state.replayed} events replayed, after its snapshot if one fits)`,
      `value    ${inline(state.value)}`,
      `context  ${inline(state.context)}`,
    ].join('\n');
  }
  const lines = [`version  ${state.version} (stored snapshot + events; pass --module to compute the state)`];
  if (state.snapshot) {
    const { version, position, fingerprint, value, context } = state.snapshot;
    lines.push(`snapshot at version ${version} (position ${position}, fingerprint ${fingerprint})`, `  value    ${inline(value)}`, `  context  ${inline(context)}`);
  } else {
    lines.push('no snapshot: every event from version 1');
  }
  lines.push(state.events.length === 0 ? 'no events after the snapshot' : `${state.events.length} events after it:\n${eventTable(state.events)}`);
  return lines.join('\n');
}

function eventTable(events: readonly InspectedEvent[]): string {
  return table(
    ['POSITION', 'STREAM', 'VERSION', 'TYPE', 'TIME', 'DATA'],
    events.map((e) => [String(e.position), `${e.aggregateType}/${e.aggregateId}`, String(e.version), e.type, e.time, inline(e.data)]),
  );
}

/** A value on one line, as JSON; `-` for undefined. */
export function inline(value: unknown): string {
  return value === undefined ? '-' : (JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value));
}

/** Left-aligned columns; the last column is not padded, so long data does not push the rest. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
