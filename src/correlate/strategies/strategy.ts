// How one rule decides that matches are an incident, ESLint-style: a small object per rule kind,
// created once per rule. The engine owns the groups, the incident aggregates and the changes; a
// strategy owns only its own counting state (plain JSON, saved with the engine's) and answers
// three questions. `threshold` is the first; `rate` and `absence` come next.
import type { Match } from '../../model.js';
import type { CompiledRule } from '../../rules/types.js';
import type { Ev, IncidentAgg } from '../incident-state.js';

/** The matches an incident opens with, when a strategy decides it opens. */
export interface Opening {
  /** Matches counted into the incident at opening (the window that reached the threshold). */
  count: number;
  /** The earliest of them: its time is the incident's firstSeen (and so part of its id). */
  first: Ev;
  /** Only the current match opens it (a `sufficient` pattern below the threshold). */
  alone: boolean;
}

export interface PendingStep {
  /** The match starts a new cluster: what was pending before it is history. */
  fresh: boolean;
  open: Opening | undefined;
}

export interface Strategy<S = unknown> {
  readonly kind: string;
  /** Counting state for a group with no open incident. */
  initial(): S;
  /** Is this (JSON-restored) value a state of this strategy? */
  isState(value: unknown): value is S;
  /** One match of a group with no open incident. */
  pending(state: S, m: Match): PendingStep;
  /** Does a match at log time `time` belong to the open incident? */
  continues(agg: IncidentAgg, time: number): boolean;
  /** Is the open incident over, `quietMs` after its last match? */
  quiet(agg: IncidentAgg, quietMs: number): boolean;
  /** Has the pending state nothing left that a later match could complete, at log time `time`? */
  idle(state: S, time: number): boolean;
}

export interface StrategyModule {
  kind: string;
  create(rule: CompiledRule): Strategy;
}
