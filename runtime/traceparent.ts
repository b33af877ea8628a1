// The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header),
// the form in which a command's span context is stored in its events' metadata: written here, and
// read back to link or parent the spans of what those events cause.

/** A span's context as `traceparent` holds it. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE = '0'.repeat(32);
const INVALID_SPAN = '0'.repeat(16);

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceParent({ traceId, spanId, traceFlags }: TraceParent): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The context a `traceparent` value holds, or undefined for anything but a valid version-00 one. */
export function parseTraceParent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const match = VERSION_00.exec(value);
  if (!match || match[1] === INVALID_TRACE || match[2] === INVALID_SPAN) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) };
}
