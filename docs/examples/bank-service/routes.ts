// The service's HTTP surface: one function per route over an embedded runtime. Nothing reaches
// runtime.send before the route, the body and the headers are valid, and the runtime checks every
// body against the account's command schemas at its door, so no 4xx persists anything. Versions
// travel as entity tags: ETag on replies, If-Match on commands (412 when it is not current).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import type { Runtime, SendOptions } from 'rehydra';
import { HttpError, problemOf, toHttpError } from './http-error.js';
import { readJsonObject } from './read-body.js';

/** How long `GET /balances/:id?after=` waits for the projection to reach the position. @default 5000 */
export const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

/** What the routes serve from: the runtime, and the service's prom-client registry it shares. */
export interface Service {
  readonly runtime: Runtime;
  readonly registry: Registry;
}

type Route = (service: Service, req: IncomingMessage, url: URL, params: readonly string[]) => Promise<Reply>;
interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  /** The aggregate version the reply reflects, sent as the ETag. */
  readonly version?: number;
}

function nonNegativeInteger(text: string, what: string): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw new HttpError(400, 'ERR_BAD_REQUEST', `${what} must be a non-negative integer (got ${JSON.stringify(text)})`);
  return value;
}

function sendOptions(req: IncomingMessage): SendOptions {
  const ifMatch = req.headers['if-match'];
  const key = req.headers['idempotency-key'];
  return {
    // If-Match carries an entity tag, which HTTP quotes: accept `3` and `"3"` alike.
    ...(ifMatch !== undefined && { expectedVersion: nonNegativeInteger(ifMatch.replace(/^"(.*)"$/, '$1'), 'If-Match') }),
    ...(typeof key === 'string' && { commandId: key }),
  };
}

const command: Route = async ({ runtime }, req, _url, [id = '', type = '']) => {
  const args = await readJsonObject(req);
  const options = sendOptions(req);
  try {
    const { version, position } = await runtime.send('account', id, { ...args, type }, options);
    return { status: 200, body: { version, position }, version };
  } catch (error) {
    throw toHttpError(error, true);
  }
};

const state: Route = async ({ runtime }, _req, _url, [id = '']) => {
  const current = await runtime.state('account', id);
  return { status: 200, body: current, version: current.version };
};

const balance: Route = async ({ runtime }, _req, url, [id = '']) => {
  const view = runtime.projection('balances');
  const after = url.searchParams.get('after');
  if (after !== null) await view.waitFor(nonNegativeInteger(after, 'after'), { timeoutMs: READ_YOUR_WRITES_TIMEOUT_MS });
  const value = view.get(id);
  if (value === undefined) throw new HttpError(404, 'ERR_NOT_FOUND', `no balance for account "${id}" (yet): open it first, or pass ?after=<position>`);
  return { status: 200, body: { balance: value } };
};

// The whole registry: the service's own metrics and the runtime's rehydra_* families together.
const metrics: Route = async ({ registry }) => ({ status: 200, body: await registry.metrics(), contentType: registry.contentType });

// Path patterns with one capture group per parameter, each with the routes it allows by method,
// and the route's name in traces (low cardinality: no ids).
const table: ReadonlyArray<readonly [RegExp, Readonly<Record<string, Route>>, string]> = [
  [/^\/accounts\/([^/]+)\/([^/]+)$/, { POST: command }, '/accounts/:id/:command'],
  [/^\/accounts\/([^/]+)$/, { GET: state }, '/accounts/:id'],
  [/^\/balances\/([^/]+)$/, { GET: balance }, '/balances/:id'],
  [/^\/metrics$/, { GET: metrics }, '/metrics'],
];

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'ERR_BAD_REQUEST', `the path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}

/** The route's name for traces, e.g. `/accounts/:id/:command`. */
function routeName(req: IncomingMessage): string {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  return table.find(([pattern]) => pattern.test(path))?.[2] ?? 'unknown route';
}

async function route(service: Service, req: IncomingMessage, res: ServerResponse): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  for (const [pattern, methods] of table) {
    const match = pattern.exec(url.pathname);
    if (!match) continue;
    const handler = methods[req.method ?? 'GET'];
    if (!handler) {
      res.setHeader('Allow', Object.keys(methods).join(', '));
      throw new HttpError(405, 'ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname} (allowed: ${Object.keys(methods).join(', ')})`);
    }
    return handler(service, req, url, match.slice(1).map((segment) => decode(segment ?? '')));
  }
  throw new HttpError(404, 'ERR_NOT_FOUND', `no route for ${url.pathname}: see docs/examples/bank-service/README.md`);
}

function write(res: ServerResponse, reply: Reply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.setHeader('Content-Type', reply.contentType ?? 'application/json; charset=utf-8');
  if (reply.version !== undefined) res.setHeader('ETag', `"${reply.version}"`);
  res.writeHead(reply.status);
  res.end(text);
}

/**
 * The node:http request listener of the bank service: one JSON, problem+json or metrics-text reply
 * per request, each counted in `bank_http_responses_total{method,status}` of the service's registry
 * and, where the service registered an OpenTelemetry tracer provider, traced as a server span that
 * the runtime's `rehydra.send` span is a child of (a no-op without one).
 */
export function createRequestListener(service: Service): (req: IncomingMessage, res: ServerResponse) => void {
  const responses = new Counter({ name: 'bank_http_responses_total', help: 'HTTP responses by method and status.', labelNames: ['method', 'status'], registers: [service.registry] });
  const tracer = trace.getTracer('bank-service');
  return (req, res) => {
    const method = req.method ?? 'GET';
    // The caller's trace context (a `traceparent` header), when a propagator is registered.
    const caller = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(`${method} ${routeName(req)}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': req.url ?? '/' } }, caller);
    res.once('finish', () => {
      responses.inc({ method, status: String(res.statusCode) });
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(caller, span), () => route(service, req, res)).then(
      (reply) => write(res, reply),
      (error: unknown) => {
        const failure = toHttpError(error, false);
        // The rest of an oversized body is never read: close the connection once the reply is out.
        if (failure.status === 413) res.setHeader('Connection', 'close');
        write(res, { status: failure.status, body: problemOf(failure), contentType: 'application/problem+json; charset=utf-8' });
      },
    );
  };
}
