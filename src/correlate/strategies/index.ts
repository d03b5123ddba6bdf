// The strategy a rule uses. Every rule is a threshold rule today; a rule schema field will choose
// `rate` or `absence` when they exist.
import type { CompiledRule } from '../../rules/types.js';
import type { Strategy } from './strategy.js';
import { threshold } from './threshold.js';

export type { Opening, PendingStep, Strategy, StrategyModule } from './strategy.js';

export function strategyFor(rule: CompiledRule): Strategy {
  return threshold.create(rule);
}
