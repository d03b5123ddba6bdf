import { RuleError } from '../../src/rules/types.js';

/** The RuleError `fn` throws (anything else is rethrown; no throw fails the test). */
export function ruleErrorOf(fn: () => unknown): RuleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleError) return err;
    throw err;
  }
  throw new Error('expected a RuleError');
}
