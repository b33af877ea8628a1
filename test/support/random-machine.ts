// Random XState v5 machines of the shapes the transition compiler supports, generated as data and
// rendered to source text: the machine a test runs is built from exactly the text a failure prints,
// so a counterexample can be pasted into a file as it is. Raised events form a ladder (transitions
// on I1 neither raise nor move; everything else raises only higher rungs), so every macrostep ends.
import fc from 'fast-check';
import { and, assign, fromCallback, not, or, raise, setup, type AnyStateMachine } from 'xstate';

/** The events a generated machine handles: external ones, then the two rungs of raised ones. */
export const EVENT_TYPES = ['E0', 'E1', 'E2', 'I0', 'I1'] as const;
/** An event type no generated machine handles. */
export const UNKNOWN_EVENT = 'UNKNOWN';
/** The tags generated states may carry. */
export const TAGS = ['t0', 't1', 't2'] as const;
/** Features the compiler does not support: a machine with one must be declined. */
export const UNSUPPORTED = ['always', 'invoke', 'history', 'wildcard', 'nestedFinal', 'output'] as const;
export type Unsupported = (typeof UNSUPPORTED)[number];

/** A generated machine: its source text (what runs, what a failure prints) and what a test asks of it. */
export class RandomMachine {
  constructor(
    readonly source: string,
    /** Every state's path, dotted (for `matches`). */
    readonly paths: readonly string[],
  ) {}

  /** Builds the machine from its source, handing it XState's creators (generated code cannot import). */
  build(): AnyStateMachine {
    return new Function('xs', `return ${this.source};`)(XS) as AnyStateMachine;
  }

  [fc.toStringMethod](): string {
    return `\n${this.source}\n`;
  }
}

const XS = { and, assign, fromCallback, not, or, raise, setup };

// Named guards, actions and delays every machine declares; generated transitions refer to some of them.
const SETUP = `xs.setup({
  delays: {
    fixed: 250,
    window: ({ context }) => 100 + context.n * 10,
  },
  guards: {
    above: ({ context }, params) => context.n > params.k,
    even: ({ context }) => context.n % 2 === 0,
    eventAbove: ({ event }, params) => (event.v ?? 0) > params.k,
    broken: () => { throw new Error('guard broken'); },
  },
  actions: {
    add: xs.assign({ n: ({ context }, params) => context.n + params.by }),
    shout: xs.assign({ s: ({ context }) => context.s + '!' }),
    reset: xs.assign((_, params) => ({ n: params.to, xs: [] })),
    explode: xs.assign(() => { throw new Error('action explode'); }),
    ping: xs.raise({ type: 'I1' }),
  },
})`;

// ---- The shape of the state tree ----

type Shape = { readonly kind: 'atomic' } | { readonly kind: 'final' }
  | { readonly kind: 'compound'; readonly initial: number; readonly children: readonly Shape[] }
  | { readonly kind: 'parallel'; readonly children: readonly Shape[] };

const atomic: fc.Arbitrary<Shape> = fc.constant({ kind: 'atomic' });

function shapeArb(depth: number): fc.Arbitrary<Shape> {
  if (depth === 0) return atomic;
  const child = shapeArb(depth - 1);
  return fc.oneof(
    { arbitrary: atomic, weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('compound' as const), initial: fc.nat(), children: fc.array(child, { minLength: 1, maxLength: 3 }) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('parallel' as const), children: fc.array(child, { minLength: 2, maxLength: 3 }) }), weight: 1 },
  );
}

// The root is compound: 1–3 levels of states below it, and maybe a top-level final state.
const rootArb: fc.Arbitrary<Shape> = fc.record({
  kind: fc.constant('compound' as const),
  initial: fc.nat(),
  children: fc.tuple(fc.array(shapeArb(2), { minLength: 2, maxLength: 4 }), fc.boolean()).map(([states, final]) =>
    final ? [...states, { kind: 'final' } as Shape] : states),
});

// ---- Guards and actions, as templates over a small constant K ----

const k = fc.integer({ min: 0, max: 6 });
const rarely = <T>(common: fc.Arbitrary<T>, rare: fc.Arbitrary<T>, odds = 30): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: common, weight: odds }, { arbitrary: rare, weight: 1 });

const leafGuard: fc.Arbitrary<string> = rarely(fc.oneof(
  k.map((v) => `({ context }) => context.n > ${v}`),
  k.map((v) => `({ event }) => (event.v ?? 0) > ${v}`),
  k.map((v) => `({ context }) => context.xs.length < ${v}`),
  fc.constant(`({ context }) => context.s.length % 2 === 0`),
  fc.constant(`'even'`),
  k.map((v) => `{ type: 'above', params: { k: ${v} } }`),
  k.map((v) => `{ type: 'eventAbove', params: ({ context }) => ({ k: context.n - ${v} }) }`),
), fc.constantFrom(`'broken'`, `() => { throw new Error('inline guard broken'); }`));

const guardArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: leafGuard, weight: 6 },
  { arbitrary: leafGuard.map((g) => `xs.not(${g})`), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom('and', 'or'), fc.array(leafGuard, { minLength: 2, maxLength: 3 })).map(([op, gs]) => `xs.${op}([${gs.join(', ')}])`), weight: 1 },
);

/**
 * An action; `raise` names a rung of the ladder (resolved to one the place allows, or dropped);
 * `ping` is the named raise of the top rung.
 */
type Action = { readonly code: string } | { readonly raise: number; readonly dynamic: boolean } | { readonly ping: true };

const anyActionArb = (throwOdds: number): fc.Arbitrary<Action> => rarely(fc.oneof(
  { arbitrary: k.map((v) => ({ code: `xs.assign({ n: ({ context, event }) => context.n + (event.v ?? 1) + ${v} })` })), weight: 3 },
  { arbitrary: k.map((v) => ({ code: `xs.assign({ n: ${v}, s: 's${v}' })` })), weight: 1 },
  { arbitrary: k.map((v) => ({ code: `xs.assign({ xs: ({ context, event }) => [...context.xs, event.v ?? ${v}] })` })), weight: 2 },
  { arbitrary: k.map((v) => ({ code: `xs.assign(({ context, event }) => ({ n: context.n - ${v}, s: context.s + event.type }))` })), weight: 2 },
  { arbitrary: k.map((v) => ({ code: `{ type: 'add', params: { by: ${v} } }` })), weight: 1 },
  { arbitrary: fc.constant({ code: `{ type: 'add', params: ({ event }) => ({ by: event.v ?? 1 }) }` }), weight: 1 },
  { arbitrary: fc.constant({ code: `'shout'` }), weight: 1 },
  { arbitrary: k.map((v) => ({ code: `{ type: 'reset', params: { to: ${v} } }` })), weight: 1 },
  { arbitrary: fc.record({ raise: fc.nat(), dynamic: fc.boolean() }), weight: 2 },
  { arbitrary: fc.constant({ ping: true as const }), weight: 1 },
), fc.constantFrom<Action>({ code: `'explode'` }, { code: `xs.assign({ n: () => { throw new Error('inline assign broken'); } })` }), throwOdds);

// Entry actions run at the start too: a throw there is rarer, or many machines would fail at once.
const actionsArb = fc.array(anyActionArb(30), { maxLength: 3 });
const entryExitArb = fc.array(anyActionArb(200), { maxLength: 3 });

// ---- Decorations, pointing at states by index (resolved modulo the states there are) ----

type TargetSpec = { readonly kind: 'none' } | { readonly kind: 'self' } | { readonly kind: 'final' }
  | { readonly kind: 'one'; readonly state: number; readonly viaId: boolean }
  | { readonly kind: 'regions'; readonly parallel: number; readonly picks: readonly number[] };

interface CandidateSpec {
  readonly guard: string | undefined;
  readonly target: TargetSpec;
  readonly reenter: boolean;
  readonly actions: readonly Action[];
}

const targetArb: fc.Arbitrary<TargetSpec> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'self' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'final' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('one' as const), state: fc.nat(), viaId: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('regions' as const), parallel: fc.nat(), picks: fc.array(fc.nat(), { minLength: 2, maxLength: 3 }) }), weight: 1 },
);

const candidateArb: fc.Arbitrary<CandidateSpec> = fc.record({
  guard: fc.option(guardArb, { nil: undefined, freq: 2 }),
  target: targetArb,
  reenter: fc.boolean(),
  actions: actionsArb,
});

const handlerArb = fc.record({
  state: fc.nat(),
  event: fc.nat({ max: EVENT_TYPES.length - 1 }),
  candidates: fc.oneof(fc.array(candidateArb, { minLength: 1, maxLength: 1 }), fc.array(candidateArb, { minLength: 2, maxLength: 3 })),
  asArray: fc.boolean(),
});

const specArb = fc.record({
  root: rootArb,
  contextAsFunction: fc.boolean(),
  n0: k,
  handlers: fc.array(handlerArb, { minLength: 2, maxLength: 16 }),
  entries: fc.array(fc.record({ state: fc.nat(), entry: entryExitArb, exit: entryExitArb }), { maxLength: 5 }),
  tags: fc.array(fc.record({ state: fc.nat(), tag: fc.constantFrom(...TAGS) }), { maxLength: 4 }),
  // Delayed transitions: a number of ms or a named delay (fixed, or computed from context), each
  // with the candidates of an ordinary handler (targetless ones included: they only count).
  afters: fc.array(fc.record({
    state: fc.nat(),
    delay: fc.constantFrom('1000', '5000', 'fixed', 'window'),
    candidates: fc.array(candidateArb, { minLength: 1, maxLength: 2 }),
  }), { maxLength: 3 }),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

/** Random machines of the supported shapes. */
export const supportedMachineArb: fc.Arbitrary<RandomMachine> = specArb.map((spec) => render(spec, undefined));

/** Random machines with one unsupported feature somewhere, and which one it is. */
export const unsupportedMachineArb: fc.Arbitrary<{ machine: RandomMachine; feature: Unsupported }> =
  fc.tuple(specArb, fc.constantFrom(...UNSUPPORTED), fc.nat()).map(([spec, feature, at]) =>
    ({ machine: render(spec, { feature, at }), feature }));

// ---- Resolution and rendering ----

interface Node {
  readonly key: string;
  readonly path: readonly string[];
  readonly shape: Shape;
  readonly parent: Node | undefined;
  readonly children: Node[];
  readonly on: Map<string, string>;
  readonly entry: string[];
  readonly exit: string[];
  readonly tags: Set<string>;
  readonly extra: string[];
  referenced: boolean;
}

function tree(shape: Shape, key: string, parent: Node | undefined): Node[] {
  const node: Node = { key, path: parent ? [...parent.path, key] : [], shape, parent, children: [], on: new Map(), entry: [], exit: [], tags: new Set(), extra: [], referenced: false };
  const all = [node];
  if (shape.kind === 'compound' || shape.kind === 'parallel') {
    shape.children.forEach((child, i) => {
      const nodes = tree(child, child.kind === 'final' ? `done${i}` : `${parent ? key : 's'}${i}`, node);
      node.children.push(nodes[0]!);
      all.push(...nodes);
    });
  }
  return all;
}

const isWithin = (node: Node, ancestor: Node): boolean => node.path.length >= ancestor.path.length && ancestor.path.every((p, i) => node.path[i] === p);
const idOf = (node: Node): string => `#${node.path.join('_')}`;
const pick = <T>(items: readonly T[], index: number): T => items[index % items.length]!;

/** How `source` names `target`: a child path, a sibling path, or an id. */
function targetText(source: Node, target: Node, viaId: boolean): string {
  if (!viaId && target !== source && isWithin(target, source)) return `.${target.path.slice(source.path.length).join('.')}`;
  if (!viaId && source.parent && isWithin(target, source.parent) && target !== source.parent) return target.path.slice(source.parent.path.length).join('.');
  target.referenced = true;
  return idOf(target);
}

/** The rungs of the raise ladder a place may raise: from an external event or entry/exit, and from I0. */
function renderActions(actions: readonly Action[], rungs: readonly string[]): string[] {
  return actions.flatMap((action) => {
    if ('code' in action) return [action.code];
    if ('ping' in action) return rungs.includes('I1') ? [`'ping'`] : [];
    if (rungs.length === 0) return [];
    const type = pick(rungs, action.raise);
    return [action.dynamic ? `xs.raise(({ context }) => ({ type: '${type}', v: context.n }))` : `xs.raise({ type: '${type}' })`];
  });
}

function renderCandidate(source: Node, event: string, candidate: CandidateSpec, nodes: readonly Node[]): string {
  const targets = event === 'I1' ? [] : resolveTargets(source, candidate.target, nodes);
  const rungs = event === 'I1' ? [] : event === 'I0' ? ['I1'] : ['I0', 'I1'];
  const actions = renderActions(candidate.actions, rungs);
  const parts = [
    candidate.guard === undefined ? undefined : `guard: ${candidate.guard}`,
    targets.length === 0 ? undefined : `target: ${targets.length === 1 ? `'${targets[0]}'` : `[${targets.map((t) => `'${t}'`).join(', ')}]`}`,
    targets.length > 0 && candidate.reenter ? 'reenter: true' : undefined,
    actions.length === 0 ? undefined : `actions: [${actions.join(', ')}]`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}

function resolveTargets(source: Node, target: TargetSpec, nodes: readonly Node[]): string[] {
  const targetable = nodes.filter((node) => node.parent !== undefined);
  switch (target.kind) {
    case 'none': return [];
    case 'self': return source.parent ? [targetText(source, source, false)] : [];
    case 'final': {
      const final = nodes.find((node) => node.shape.kind === 'final');
      return final ? [targetText(source, final, false)] : [];
    }
    case 'one': return [targetText(source, pick(targetable, target.state), target.viaId)];
    case 'regions': {
      const parallels = nodes.filter((node) => node.shape.kind === 'parallel');
      if (parallels.length === 0) return [];
      const regions = pick(parallels, target.parallel).children;
      const chosen = regions.slice(0, Math.min(regions.length, target.picks.length));
      return chosen.map((region, i) => targetText(source, pick(nodes.filter((n) => isWithin(n, region)), target.picks[i]!), true));
    }
  }
}

function render(spec: Spec, unsupported: { feature: Unsupported; at: number } | undefined): RandomMachine {
  const nodes = tree(spec.root, 'm', undefined);
  const live = nodes.filter((node) => node.shape.kind !== 'final');
  // Top-level states and the root are active more often than deep ones: twice the handlers.
  const sources = [...live, ...live.filter((node) => node.path.length <= 1)];
  for (const handler of spec.handlers) {
    const source = pick(sources, handler.state);
    const event = EVENT_TYPES[handler.event]!;
    const candidates = handler.candidates.map((candidate) => renderCandidate(source, event, candidate, nodes));
    source.on.set(event, candidates.length === 1 && !handler.asArray ? candidates[0]! : `[${candidates.join(', ')}]`);
  }
  for (const { state, entry, exit } of spec.entries) {
    const node = pick(nodes, state);
    node.entry.push(...renderActions(entry, ['I1']));
    if (node.shape.kind !== 'final') node.exit.push(...renderActions(exit, ['I1']));
  }
  for (const { state, tag } of spec.tags) pick(nodes, state).tags.add(tag);
  const delayed = new Map<Node, string[]>();
  for (const { state, delay, candidates } of spec.afters) {
    const node = pick(live.filter((candidate) => candidate.parent !== undefined), state);
    const rendered = candidates.map((candidate) => renderCandidate(node, 'E0', candidate, nodes));
    const key = /^\d+$/.test(delay) ? delay : `'${delay}'`;
    const list = delayed.get(node) ?? [];
    if (list.some((entry) => entry.startsWith(`${key}:`))) continue;
    list.push(`${key}: ${rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`}`);
    delayed.set(node, list);
  }
  for (const [node, list] of delayed) node.extra.push(`after: { ${list.join(', ')} }`);
  if (unsupported) addUnsupported(nodes, unsupported.feature, unsupported.at);
  const context = `{ n: ${spec.n0}, s: '', xs: [] }`;
  const config = renderNode(nodes[0]!, [`id: 'm'`, `context: ${spec.contextAsFunction ? `() => (${context})` : context}`]);
  return new RandomMachine(`${SETUP}.createMachine(${config})`, nodes.slice(1).map((node) => node.path.join('.')));
}

function addUnsupported(nodes: readonly Node[], feature: Unsupported, at: number): void {
  const root = nodes[0]!;
  const atomics = nodes.filter((node) => node.shape.kind === 'atomic');
  const compounds = nodes.filter((node) => node.shape.kind === 'compound');
  const somewhere = pick(atomics, at);
  const sibling = pick(root.children.filter((child) => child.shape.kind !== 'final'), at);
  switch (feature) {
    case 'always': somewhere.extra.push(`always: { guard: ({ context }) => context.n > 100, target: '${targetText(somewhere, sibling, true)}' }`); break;
    case 'invoke': somewhere.extra.push(`invoke: { src: xs.fromCallback(() => undefined) }`); break;
    case 'history': pick(compounds, at).extra.push(`states: { h: { type: 'history' } }`); break;
    case 'wildcard': somewhere.on.set(at % 2 === 0 ? '*' : 'E0.*', `{ actions: 'shout' }`); break;
    case 'nestedFinal': {
      const nested = compounds.filter((node) => node !== root);
      if (nested.length > 0) pick(nested, at).extra.push(`states: { over: { type: 'final' } }`);
      else root.extra.push(`states: { p: { initial: 'a', states: { a: {}, over: { type: 'final' } } } }`);
      break;
    }
    case 'output': root.extra.push(`output: ({ context }) => context.n`); break;
  }
}

function renderNode(node: Node, head: string[] = []): string {
  const shape = node.shape;
  const parts = [...head];
  if (node.referenced) parts.push(`id: '${idOf(node).slice(1)}'`);
  if (shape.kind === 'parallel' || shape.kind === 'final') parts.push(`type: '${shape.kind}'`);
  if (node.tags.size > 0) parts.push(`tags: [${[...node.tags].map((t) => `'${t}'`).join(', ')}]`);
  if (shape.kind === 'compound') parts.push(`initial: '${pick(node.children.filter((child) => child.shape.kind !== 'final'), shape.initial).key}'`);
  if (node.entry.length > 0) parts.push(`entry: [${node.entry.join(', ')}]`);
  if (node.exit.length > 0) parts.push(`exit: [${node.exit.join(', ')}]`);
  if (node.on.size > 0) parts.push(`on: { ${[...node.on].map(([event, handler]) => `'${event}': ${handler}`).join(', ')} }`);
  const extraStates = node.extra.find((extra) => extra.startsWith('states: {'));
  parts.push(...node.extra.filter((extra) => extra !== extraStates));
  const states = node.children.map((child) => `${child.key}: ${renderNode(child)}`);
  if (extraStates) states.push(extraStates.slice('states: { '.length, -' }'.length));
  if (states.length > 0) parts.push(`states: { ${states.join(', ')} }`);
  if (parts.length === 0) return '{}';
  const indent = '  '.repeat(node.path.length + 1);
  return `{\n${indent}${parts.join(`,\n${indent}`)}\n${'  '.repeat(node.path.length)}}`;
}
