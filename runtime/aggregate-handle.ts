// A typed handle is the untyped runtime API with the aggregate type bound and the definition's
// types put on. The casts below assert nothing the runtime does not enforce: every command is
// admitted by the definition's handlers and schemas, and every stored event was accepted by its
// machine (and is upcast to the current shape on read).
import type { AnyStateMachine, EventFromLogic } from 'xstate';
import type { AggregateDefinition, Command } from '../actors/define-aggregate.js';
import type { Explanation } from '../actors/explain.js';
import type { AggregateHandle, EventIterable, Runtime, SendResult, StateOf } from './types.js';

/** The handle of `definition` on `runtime` (which must serve it: checked by the caller). */
export function createAggregateHandle<TMachine extends AnyStateMachine, TCommand extends { readonly type: string }>(
  runtime: Runtime, definition: AggregateDefinition<TMachine, TCommand>,
): AggregateHandle<TMachine, TCommand> {
  type E = EventFromLogic<TMachine>;
  const { type } = definition;
  const handle: AggregateHandle<TMachine, TCommand> = {
    type,
    send: (id, command, options) => runtime.send(type, id, command as unknown as Command, options) as Promise<SendResult<E>>,
    state: (id, options) => runtime.state(type, id, options) as Promise<StateOf<TMachine>>,
    explain: (id, command) => runtime.explain(type, id, command as unknown as Command) as Promise<Explanation<E>>,
    readStream: (id, options) => runtime.readStream(type, id, options) as EventIterable<E>,
  };
  return Object.freeze(handle);
}
