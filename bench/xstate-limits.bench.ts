// What does XState alone cost per event? A bare `actor.send` of the bank machine's
// MoneyDeposited, to random actors among 10,000 live ones (the evolve limit, half of `limit`)
// and to one hot actor (the replay limit). No subscription, no runtime: the floor under both.
// Beside them, the same sends to actors of the compiled machine: what compiling buys per event.
import { createActor, type Actor } from 'xstate';
import { CompiledActor } from '../actors/compiled-actor.js';
import { account, accountMachine } from '../fixtures/bank-account.js';
import { EVOLVE_LIMIT_KEY } from './limit.js';
import { measureMicro } from './micro.js';
import { figureOf, type Figures, type Scenario, type ScenarioContext } from './scenario.js';
import { pick, seededRandom } from '../fixtures/seeded-random.js';

const LIVE = 10_000;
const SEED = 7;
/** Precomputed actor picks, cycled: drawing a random number inside the timed call would be timed too. */
const PICKS = 1 << 16;
const DEPOSIT = { type: 'MoneyDeposited', amount: 1 } as const;

/** What the timed loop needs of an actor, XState's or compiled. */
interface AccountActor {
  send(event: typeof DEPOSIT): void;
  stop(): unknown;
}

/** A started actor in state `open`, so MoneyDeposited is accepted. */
function openActor(i: number): Actor<typeof accountMachine> {
  const actor = createActor(accountMachine);
  actor.start();
  actor.send({ type: 'AccountOpened', owner: `owner-${i}`, initial: 100 });
  return actor;
}

/** A started actor of the compiled account machine, in state `open`. */
function openCompiledActor(i: number): AccountActor {
  const actor = new CompiledActor(account.compiled!).start();
  const opened = { type: 'AccountOpened', owner: `owner-${i}`, initial: 100 };
  actor.send(opened);
  return actor;
}

/** Times `send` on `actors`, then stops them; reports perSec only (µs latencies of one call are noise). */
async function timeSends(context: ScenarioContext, name: string, actors: readonly AccountActor[], send: () => void): Promise<Figures> {
  try {
    const { perSec, n } = await measureMicro(name, send, { quick: context.quick });
    if (perSec === undefined) throw new Error(`tinybench gave no rate for "${name}"`);
    context.progress(`${(1e6 / perSec).toFixed(2)} µs per send over ${n.toLocaleString('en-US')} samples`);
    return { perSec, n };
  } finally {
    for (const actor of actors) actor.stop();
  }
}

/** Times `send` to random actors among LIVE opened by `open`, the same seeded picks for every kind of actor. */
function timeRandomSends(context: ScenarioContext, name: string, open: (i: number) => AccountActor): Promise<Figures> {
  const actors = Array.from({ length: LIVE }, (_, i) => open(i));
  const random = seededRandom(SEED);
  const picks = Uint16Array.from({ length: PICKS }, () => pick(random, LIVE));
  let next = 0;
  return timeSends(context, name, actors, () => actors[picks[next++ & (PICKS - 1)]!]!.send(DEPOSIT));
}

const randomSend: Scenario = {
  key: EVOLVE_LIMIT_KEY,
  title: 'bare actor.send(MoneyDeposited) to random actors among 10,000 live ones (the evolve limit)',
  rounds: 3,
  settings: 'xstate createActor(accountMachine), started and opened; no subscription; tinybench, one send per iteration',
  figures: { perSec: { label: 'perSec (evolve limit)' } },
  run: (context) => timeRandomSends(context, 'actor.send, one of 10,000', openActor),
};

const compiledSend: Scenario = {
  key: 'raw.compiled.send',
  title: 'bare send(MoneyDeposited) to random compiled actors among 10,000 live ones (raw.xstate.send, compiled)',
  rounds: 3,
  settings: 'as raw.xstate.send, on CompiledActor of the compiled account machine (account.compiled)',
  figures: { perSec: { against: figureOf(EVOLVE_LIMIT_KEY, 'perSec') } },
  run: (context) => timeRandomSends(context, 'compiled send, one of 10,000', openCompiledActor),
};

const hotSend: Scenario = {
  key: 'raw.xstate.hot',
  title: 'bare actor.send(MoneyDeposited) on one live actor (the replay limit)',
  rounds: 3,
  settings: 'as raw.xstate.send, always the same actor',
  figures: { perSec: { label: 'perSec (replay limit)' } },
  run: (context) => {
    const actor = openActor(0);
    return timeSends(context, 'actor.send, one hot actor', [actor], () => actor.send(DEPOSIT));
  },
};

export const scenarios: readonly Scenario[] = [randomSend, compiledSend, hotSend];
