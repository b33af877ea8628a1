// Reads a request body as a JSON object, never buffering more than the limit: an oversized body is
// refused from its Content-Length when declared, otherwise as soon as the running total passes it.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** The largest request body the service reads. @default 65536 */
export const MAX_BODY_BYTES = 64 * 1024;

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'ERR_BODY_TOO_LARGE', `the request body is over ${limit} bytes: send a smaller command`);
}

/** The body as a JSON object (an empty body is `{}`); HttpError 413 when over `limit`, 400 when not a JSON object. */
export async function readJsonObject(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'ERR_BAD_JSON', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'ERR_BAD_JSON', 'the request body must be a JSON object of command arguments, e.g. {"amount":5}');
  }
  return parsed as Record<string, unknown>;
}
