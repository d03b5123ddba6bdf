// Which lines are worth building into events: a Wu-Manber scan for the literals every rule
// pattern requires (extracted from the regexes at load time). Built once per run from the rules;
// the parser asks it about each line's bytes.
import type { CompiledRule } from '../rules/types.js';
import { prefilterLiterals } from '../rules/literals.js';
import { toLatin1 } from '../text/latin1.js';
import { LiteralScanner } from './literal-scanner.js';

export interface Prefilter {
  /** Finds lines holding any rule literal; undefined when no rule has one. */
  scanner: LiteralScanner | undefined;
  /** Some pattern has no usable literal: every event must be built and tested. */
  everyEvent: boolean;
}

/** `extraLiterals`: more strings whose lines are worth building (the fact patterns' literals). */
export function buildPrefilter(rules: readonly CompiledRule[], extraLiterals: readonly string[] = []): Prefilter {
  const literals: string[] = [...extraLiterals];
  let everyEvent = false;
  for (const rule of rules) {
    for (const p of rule.patterns) {
      if (p.source !== 'log') continue;
      if (!p.literals) everyEvent = true;
      else literals.push(...p.literals);
    }
  }
  // the parser hands the scanner the file's bytes as Latin-1: search for the literals' bytes
  const kept = prefilterLiterals(literals).map(toLatin1);
  return { scanner: kept.length > 0 ? new LiteralScanner(kept) : undefined, everyEvent };
}

/** Does `text` (a real string, not Latin-1) hold one of the prefilter's literals, or does everything pass? */
export function prefilterPasses(prefilter: Prefilter, text: string): boolean {
  return prefilter.everyEvent || (prefilter.scanner?.test(toLatin1(text)) ?? false);
}
