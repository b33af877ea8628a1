// Command schemas: any Standard Schema v1 validator, checked once at definition time and run on a
// command's fields (all but `type`) before its handler. A failing command never reaches the
// handler; the validated output (possibly transformed) is what the handler receives.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { InvalidCommandError, type CommandIssue } from './errors.js';
import type { Command } from './types.js';
import { withType } from './with-type.js';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function asyncRefused(aggregateType: string, name: string): string {
  return `options.schemas.${name} of aggregate "${aggregateType}" validates asynchronously: command schemas must be synchronous ` +
    '(a command is decided in its aggregate\'s turn); drop async refinements or transforms';
}

/** A validation result, or an error naming the schema if the validator answered with a promise. */
function resultOf(schema: StandardSchemaV1, value: unknown, whenAsync: () => Error): StandardSchemaV1.Result<unknown> {
  const result = schema['~standard'].validate(value);
  if (isThenable(result)) {
    // Its outcome is not waited for: keep a rejection of it from going unhandled.
    result.then(undefined, () => undefined);
    throw whenAsync();
  }
  return result;
}

/**
 * Checks the `schemas` option of `defineAggregate` and returns it as a frozen null-prototype map
 * (a command named `toString` must not find Object.prototype's). A schema that answers a probe
 * with a promise is refused here; one that turns async only on some input is refused when it does.
 */
export function checkSchemas(aggregateType: string, commandTypes: readonly string[], schemas: unknown): Readonly<Record<string, StandardSchemaV1>> {
  if (typeof schemas !== 'object' || schemas === null || Array.isArray(schemas)) {
    throw new TypeError(`options.schemas of aggregate "${aggregateType}" must map command types to Standard Schema validators`);
  }
  const checked: Record<string, StandardSchemaV1> = Object.create(null);
  for (const [name, schema] of Object.entries(schemas)) {
    if (!commandTypes.includes(name)) {
      throw new TypeError(`options.schemas.${name} of aggregate "${aggregateType}" has no command handler (commands: ${commandTypes.join(', ')})`);
    }
    const standard = (schema as Partial<StandardSchemaV1> | null | undefined)?.['~standard'];
    if (standard?.version !== 1 || typeof standard.validate !== 'function') {
      throw new TypeError(`options.schemas.${name} of aggregate "${aggregateType}" must be a Standard Schema v1 validator (zod, valibot, arktype, …)`);
    }
    resultOf(schema as StandardSchemaV1, {}, () => new TypeError(asyncRefused(aggregateType, name)));
    checked[name] = schema as StandardSchemaV1;
  }
  return Object.freeze(checked);
}

function issuesOf(issues: readonly StandardSchemaV1.Issue[]): CommandIssue[] {
  return issues.map(({ path = [], message }) => ({
    path: path.map((segment) => (typeof segment === 'object' ? segment.key : segment)),
    message,
  }));
}

function describe(issues: readonly CommandIssue[]): string {
  return issues.map(({ path, message }) => (path.length === 0 ? message : `${path.map(String).join('.')}: ${message}`)).join('; ');
}

/**
 * The command its handler receives: `command` itself when its type has no schema, else the
 * schema's output for its fields with `type` put back. Throws InvalidCommandError with the
 * schema's issues when the fields fail it.
 */
export function validateCommand(
  schemas: Readonly<Record<string, StandardSchemaV1>>, aggregateType: string, aggregateId: string, command: Command,
): Command {
  const schema = schemas[command.type];
  if (schema === undefined) return command;
  const stream = `${aggregateType}/${aggregateId}`;
  const { type, ...fields } = command;
  const result = resultOf(schema, fields, () => new InvalidCommandError(stream, asyncRefused(aggregateType, type)));
  if (result.issues) {
    const issues = issuesOf(result.issues);
    throw new InvalidCommandError(stream, `command "${type}" failed its schema: ${describe(issues)}`, issues);
  }
  const { value } = result;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidCommandError(stream, `the schema of command "${type}" must output an object of fields (got ${typeof value})`);
  }
  return withType(value, type) as Command;
}
