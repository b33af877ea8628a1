// The example service driven over real HTTP on an ephemeral loopback port, with real LMDB and
// projection workers: the happy path with read-your-writes and entity tags, then each bad input
// is an RFC 9457 problem (naming the field when the body fails the command's schema) and leaves
// the account's version unchanged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBankService } from '../../docs/examples/bank-service/server.js';

let service: Awaited<ReturnType<typeof startBankService>>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rehydra-bank-test-'));
  service = await startBankService({ path: dir, port: 0 });
});

afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(service.url + path, { method, body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const post = (path: string, args: unknown, headers?: Record<string, string>) => call('POST', path, JSON.stringify(args), headers);

/** The problem+json body of an error reply, after checking its media type and status member. */
function problem(res: Awaited<ReturnType<typeof call>>): Record<string, unknown> {
  expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  const body = res.json();
  expect(body.status).toBe(res.status);
  expect(body.type).toBe(`urn:rehydra:error:${String(body.code)}`);
  return body;
}

async function versionOf(id: string): Promise<unknown> {
  return (await call('GET', `/accounts/${id}`)).json().version;
}

/** Opens `id` with 100 and returns the account's version, for the bad-input tests to compare against. */
async function opened(id: string): Promise<number> {
  expect((await post(`/accounts/${id}/open`, { owner: 'ann', initial: 100 })).status).toBe(200);
  return 1;
}

test('binds loopback', () => {
  expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

test('open, deposit, state, and the projected balance read after the deposit', async () => {
  await opened('a-1');
  const deposit = await post('/accounts/a-1/deposit', { amount: 25 });
  expect(deposit.status).toBe(200);
  const { version, position } = deposit.json();
  expect(version).toBe(2);
  expect(position).toEqual(expect.any(Number));

  expect(deposit.headers.get('etag')).toBe('"2"');
  const state = await call('GET', '/accounts/a-1');
  expect(state.status).toBe(200);
  expect(state.headers.get('etag')).toBe('"2"');
  expect(state.json()).toEqual({ value: 'open', context: { balance: 125 }, version: 2 });

  const balance = await call('GET', `/balances/a-1?after=${String(position)}`);
  expect(balance.status).toBe(200);
  expect(balance.json()).toEqual({ balance: 125 });
});

test('an unknown balance is 404', async () => {
  const res = await call('GET', '/balances/nobody?after=0');
  expect(res.status).toBe(404);
  expect(problem(res).code).toBe('ERR_NOT_FOUND');
});

test('bad JSON is 400 and persists nothing', async () => {
  const version = await opened('bad-json');
  const res = await call('POST', '/accounts/bad-json/deposit', '{"amount": 5');
  expect(res.status).toBe(400);
  expect(problem(res)).toMatchObject({ code: 'ERR_BAD_JSON', title: 'Bad Request', detail: expect.stringContaining('not valid JSON') });
  expect((await call('POST', '/accounts/bad-json/deposit', '[5]')).status).toBe(400);
  expect(await versionOf('bad-json')).toBe(version);
});

test('an unknown command is 404 and persists nothing', async () => {
  const version = await opened('unknown-cmd');
  const res = await post('/accounts/unknown-cmd/close', {});
  expect(res.status).toBe(404);
  expect(problem(res)).toMatchObject({ code: 'ERR_UNKNOWN_COMMAND', detail: expect.stringContaining('no command "close"') });
  expect(await versionOf('unknown-cmd')).toBe(version);
});

test('insufficient funds is 422 and persists nothing', async () => {
  const version = await opened('poor');
  const res = await post('/accounts/poor/withdraw', { amount: 500 });
  expect(res.status).toBe(422);
  expect(problem(res)).toEqual({ type: 'urn:rehydra:error:ERR_REJECTED', title: 'Unprocessable Entity', status: 422, detail: 'insufficient funds', code: 'ERR_REJECTED' });
  expect(await versionOf('poor')).toBe(version);
});

test('a deposit to an account that was never opened is 409 (illegal event)', async () => {
  const res = await post('/accounts/never-opened/deposit', { amount: 5 });
  expect(res.status).toBe(409);
  expect(problem(res)).toMatchObject({ code: 'ERR_ILLEGAL_EVENT', detail: expect.stringContaining('(it accepts AccountOpened)') });
  expect(await versionOf('never-opened')).toBe(0);
});

test('a stale If-Match is 412 and persists nothing; the current one (the ETag) succeeds', async () => {
  const version = await opened('stale');
  const stale = await post('/accounts/stale/deposit', { amount: 5 }, { 'If-Match': '0' });
  expect(stale.status).toBe(412);
  expect(problem(stale)).toMatchObject({ code: 'ERR_CONCURRENCY', title: 'Precondition Failed', detail: expect.stringContaining('not 0') });
  expect(await versionOf('stale')).toBe(version);
  const etag = (await call('GET', '/accounts/stale')).headers.get('etag') ?? '';
  expect((await post('/accounts/stale/deposit', { amount: 5 }, { 'If-Match': etag })).json().version).toBe(version + 1);
  expect((await post('/accounts/stale/deposit', { amount: 5 }, { 'If-Match': 'soon' })).status).toBe(400);
});

test('a body over 64 KiB is 413 and persists nothing', async () => {
  const version = await opened('big');
  const res = await post('/accounts/big/deposit', { amount: 5, note: 'x'.repeat(70 * 1024) });
  expect(res.status).toBe(413);
  expect(problem(res).code).toBe('ERR_BODY_TOO_LARGE');
  expect(await versionOf('big')).toBe(version);
});

test('a chunked body (no Content-Length) is cut off at 64 KiB with 413', async () => {
  const version = await opened('chunked');
  const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 8) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const init = { method: 'POST', body, duplex: 'half' } as RequestInit;
  const res = await fetch(`${service.url}/accounts/chunked/deposit`, init);
  expect(res.status).toBe(413);
  expect(((await res.json()) as Record<string, unknown>).code).toBe('ERR_BODY_TOO_LARGE');
  expect(await versionOf('chunked')).toBe(version);
});

test('a body that fails the command schema is 400 naming each field, and persists nothing', async () => {
  const version = await opened('typo');
  const misspelt = await post('/accounts/typo/deposit', { amout: 3 });
  expect(misspelt.status).toBe(400);
  expect(problem(misspelt)).toMatchObject({
    code: 'ERR_INVALID_COMMAND',
    detail: expect.stringContaining('command "deposit" failed its schema: amount:'),
    errors: [{ field: 'amount', pointer: '/amount', detail: expect.any(String) }],
  });
  const text = await post('/accounts/typo/deposit', { amount: '3' });
  expect(text.status).toBe(400);
  expect(problem(text).errors).toEqual([{ field: 'amount', pointer: '/amount', detail: expect.stringContaining('expected number') }]);
  const open = await post('/accounts/typo2/open', { owner: '', initial: -1 });
  expect((problem(open).errors as Array<{ field: string }>).map((e) => e.field)).toEqual(['owner', 'initial']);
  // Nothing was stored: the balance is still a number, and a withdrawal over it is still refused.
  expect(await versionOf('typo')).toBe(version);
  expect((await call('GET', '/accounts/typo')).json().context).toEqual({ balance: 100 });
  expect((await post('/accounts/typo/withdraw', { amount: 101 })).status).toBe(422);
});

test('a repeated Idempotency-Key returns the first result and deposits once', async () => {
  await opened('idem');
  const first = await post('/accounts/idem/deposit', { amount: 10 }, { 'Idempotency-Key': 'dep-1' });
  const again = await post('/accounts/idem/deposit', { amount: 10 }, { 'Idempotency-Key': 'dep-1' });
  expect(again.status).toBe(200);
  expect(again.json()).toEqual(first.json());
  expect((await call('GET', '/accounts/idem')).json()).toMatchObject({ context: { balance: 110 }, version: 2 });
});

test('unknown routes are 404 and wrong methods 405', async () => {
  expect((await call('GET', '/nowhere')).status).toBe(404);
  const res = await call('DELETE', '/accounts/a-1');
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET');
});

test("/metrics serves the shared registry: the runtime's families beside the service's own", async () => {
  expect((await post('/accounts/m-1/open', { owner: 'mo', initial: 5 })).status).toBe(200);
  const res = await call('GET', '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(res.text).toMatch(/^rehydra_commands_total\{aggregate="account",outcome="accepted"\} [1-9]\d*$/m);
  expect(res.text).toMatch(/^rehydra_command_duration_seconds_bucket\{le="0\.005",aggregate="account",outcome="accepted"\} \d+$/m);
  expect(res.text).toMatch(/^bank_http_responses_total\{method="POST",status="200"\} [1-9]\d*$/m);
});
