// A snapshot is only reused by the machine definition that wrote it. The fingerprint is a hash of
// a deterministic, deep encoding of the machine's config and implementations: every value the
// machine holds, and for every function its source text plus the properties it carries. XState's
// action and guard creators (assign, enqueueActions, raise, sendTo, log, emit, cancel, spawnChild,
// stopChild, and/or/not/stateIn) return a generic stub whose source never changes; what they wrap
// lives in properties of the stub (`assignment`, `collect`, `event`, `guards`, `params`, ...), so
// those are walked too. Editing any of it invalidates old snapshots (full replay) instead of
// misapplying them.
//
// What cannot be seen: values a function closes over (module variables, factory arguments), the
// bodies of functions it calls by name, bound and native functions (their source is
// "[native code]"). Changing those needs a `snapshotVersion` bump.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

/** Bump when the encoding changes: every stored snapshot is then ignored once (full replay). */
const FORMAT = 'rehydra-fingerprint/2';

/**
 * Where XState 5 creators keep what they wrap (own properties of the returned stub). They are
 * enumerable today; listing them keeps them covered should a release make one non-enumerable.
 */
const WRAPPER_KEYS = [
  'type', // actions: 'xstate.assign', 'xstate.raise', ...
  'assignment', // assign
  'collect', // enqueueActions
  'event', // raise, sendTo, emit
  'to', // sendTo
  'id', // raise, sendTo, spawnChild
  'delay', // raise, sendTo
  'value', // log
  'label', // log
  'sendId', // cancel
  'actorRef', // stopChild
  'src', // spawnChild
  'systemId', // spawnChild
  'input', // spawnChild
  'syncSnapshot', // spawnChild
  'guards', // and, or, not
  'stateValue', // stateIn
  'params', // parameterized actions/guards ({ type, params })
] as const;

/**
 * XState's own resolve/execute/check functions on a creator's stub. Their source is library code
 * (and differs between its cjs/esm/minified builds), so they are recorded by name only.
 */
const INTERNAL_KEYS = new Set(['resolve', 'execute', 'retryResolve', 'check']);

const fnSource = Function.prototype.toString;
const hasOwn = Object.prototype.hasOwnProperty;
const isEnumerable = Object.prototype.propertyIsEnumerable;

/** A stub returned by an XState creator: an action with type 'xstate.*' or a guard with `check`. */
function isXStateBuiltin(fn: Function): boolean {
  const { type, check } = fn as { type?: unknown; check?: unknown };
  return (typeof type === 'string' && type.startsWith('xstate.')) || typeof check === 'function';
}

function symbolText(symbol: symbol): string {
  const registered = Symbol.keyFor(symbol);
  if (registered !== undefined) return `symfor${JSON.stringify(registered)}`;
  return symbol.description === undefined ? 'sym' : `sym${JSON.stringify(symbol.description)}`;
}

function keyText(key: string | symbol): string {
  return typeof key === 'string' ? JSON.stringify(key) : symbolText(key);
}

/** Own enumerable keys (strings sorted, then symbols sorted by their text), plus `extra` own ones. */
function keysOf(value: object, extra: readonly string[] = []): (string | symbol)[] {
  const names = new Set(Object.keys(value));
  for (const key of extra) if (hasOwn.call(value, key)) names.add(key);
  const symbols = Object.getOwnPropertySymbols(value).filter((s) => isEnumerable.call(value, s));
  symbols.sort((a, b) => (symbolText(a) < symbolText(b) ? -1 : symbolText(a) > symbolText(b) ? 1 : 0));
  return [...[...names].sort(), ...symbols];
}

/** Encodes any value as text: type-tagged, sorted keys, shared/cyclic objects as back-references. */
class Encoder {
  private readonly parts: string[] = [];
  private readonly seen = new Map<object, number>();

  text(): string {
    return this.parts.join('');
  }

  value(value: unknown): void {
    const out = this.parts;
    switch (typeof value) {
      case 'string':
        out.push('s', JSON.stringify(value));
        return;
      case 'number':
        out.push('n', Object.is(value, -0) ? '-0' : String(value), ';');
        return;
      case 'bigint':
        out.push('b', value.toString(), ';');
        return;
      case 'boolean':
        out.push(value ? 'T' : 'F');
        return;
      case 'undefined':
        out.push('U');
        return;
      case 'symbol':
        out.push(symbolText(value), ';');
        return;
      case 'function':
      case 'object': {
        if (value === null) {
          out.push('N');
          return;
        }
        const ref = this.seen.get(value);
        if (ref !== undefined) {
          out.push('^', String(ref), ';');
          return;
        }
        this.seen.set(value, this.seen.size);
        if (typeof value === 'function') this.function(value);
        else this.object(value);
        return;
      }
    }
  }

  private function(fn: Function): void {
    if (isXStateBuiltin(fn)) {
      this.parts.push('X(');
      this.properties(fn, keysOf(fn, WRAPPER_KEYS), true);
    } else {
      let source: string;
      try {
        source = fnSource.call(fn);
      } catch {
        source = '[unreadable]'; // e.g. a Proxy around a function
      }
      this.parts.push('F', JSON.stringify(source), '(');
      this.properties(fn, keysOf(fn, WRAPPER_KEYS));
    }
    this.parts.push(')');
  }

  private object(value: object): void {
    const out = this.parts;
    if (Array.isArray(value)) {
      out.push('[');
      for (let i = 0; i < value.length; i++) {
        if (i in value) this.value(value[i]);
        else out.push('_'); // a hole
        out.push(',');
      }
      out.push(']');
      return;
    }
    if (value instanceof Date) {
      const time = value.getTime();
      out.push('D', Number.isNaN(time) ? 'invalid' : String(time), ';');
      return;
    }
    if (value instanceof RegExp) {
      out.push('R', JSON.stringify(String(value)));
      return;
    }
    if (value instanceof Map) {
      out.push('M{'); // insertion order is part of a Map's meaning
      for (const [key, entry] of value) {
        this.value(key);
        out.push('=>');
        this.value(entry);
        out.push(',');
      }
      out.push('}');
      return;
    }
    if (value instanceof Set) {
      out.push('S{');
      for (const entry of value) {
        this.value(entry);
        out.push(',');
      }
      out.push('}');
      return;
    }
    if (ArrayBuffer.isView(value)) {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      out.push('V', value.constructor.name, ':', Buffer.from(bytes).toString('base64'), ';');
      return;
    }
    if (value instanceof ArrayBuffer) {
      out.push('V', 'ArrayBuffer:', Buffer.from(new Uint8Array(value)).toString('base64'), ';');
      return;
    }
    if (value instanceof Error) {
      out.push('E', JSON.stringify(`${value.name}: ${value.message}`));
    }
    if (isMachine(value)) {
      // A machine used as actor logic: its definition, not its derived state-node graph.
      out.push('machine(');
      this.value(value.config);
      this.value(value.implementations);
      out.push(')');
      return;
    }
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    const className = proto === null || proto === Object.prototype ? '' : String(proto.constructor?.name ?? '?');
    out.push('O', className, '{');
    this.properties(value, keysOf(value));
    out.push('}');
  }

  private properties(owner: object, keys: readonly (string | symbol)[], builtin = false): void {
    const out = this.parts;
    for (const key of keys) {
      out.push(keyText(key), ':');
      let property: unknown;
      try {
        property = (owner as Record<string | symbol, unknown>)[key];
      } catch {
        out.push('!,'); // a throwing getter
        continue;
      }
      if (builtin && typeof key === 'string' && INTERNAL_KEYS.has(key) && typeof property === 'function') {
        out.push('internal', JSON.stringify(property.name), ',');
        continue;
      }
      this.value(property);
      out.push(',');
    }
  }
}

function isMachine(value: object): value is AnyStateMachine {
  const candidate = value as { __xstatenode?: unknown; config?: unknown; implementations?: unknown };
  return candidate.__xstatenode === true && typeof candidate.config === 'object' && typeof candidate.implementations === 'object';
}

/** A short hash identifying the machine definition plus the user's `snapshotVersion`. */
export function machineFingerprint(machine: AnyStateMachine, snapshotVersion: number): string {
  const encoder = new Encoder();
  encoder.value([FORMAT, machine.config, machine.implementations, snapshotVersion]);
  return createHash('sha256').update(encoder.text()).digest('hex').slice(0, 32);
}
