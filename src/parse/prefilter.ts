// Which lines are worth building into events: a Wu-Manber scan for the literals every rule
// pattern requires (extracted from the regexes at load time). Built once per run from the rules;
// the parser asks it about each line's bytes.
import type { CompiledRule } from '../rules/types.js';
import { prefilterLiterals } from '../rules/literals.js';
import { toLatin1 } from '../text/latin1.js';
import { LiteralScanner } from './literal-scanner.js';

/** The class bit of the rules' own literals in the scanner's hits (other bits are the extra literals'). */
export const RULE_HIT = 1;
/**
 * An extra literal that stands in for a longer rule literal holding it (`exception: ` for
 * `uncaughtexception: `): a line holding it may hold a rule literal, to be checked.
 */
export const RULE_MAYBE = 1 << 30;

export interface Prefilter {
  /** Finds lines holding any rule literal; undefined when no rule has one. */
  scanner: LiteralScanner | undefined;
  /** The scanner also holds extra literals: ask it which class each hit line is (RULE_HIT or the extras' bits). */
  classed?: boolean;
  /** Some pattern has no usable literal: every event must be built and tested. */
  everyEvent: boolean;
  /** The rule literals an extra literal stands in for (see RULE_MAYBE), to check a RULE_MAYBE event's bytes. */
  absorbed?: LiteralScanner | undefined;
}

/**
 * `extraLiterals`: more strings whose lines are worth building (the fact patterns' literals), each
 * with its class bits (not RULE_HIT). The scanner then tells which lines hold a rule literal, so an
 * event built only for an extra literal needs no second scan to skip the rules.
 */
export function buildPrefilter(rules: readonly CompiledRule[], extraLiterals: ReadonlyMap<string, number> = new Map()): Prefilter {
  const literals: string[] = [];
  let everyEvent = false;
  for (const rule of rules) {
    for (const p of rule.patterns) {
      if (p.source !== 'log') continue;
      if (!p.literals) everyEvent = true;
      else literals.push(...p.literals);
    }
  }
  // one reduced set (a literal holding a shorter one is dropped: more literals cost every line
  // shorter shifts), each kept literal with the classes of the literals it stands for
  const rule = prefilterLiterals(literals);
  const extra = [...extraLiterals].map(([l, bits]) => ({ forms: prefilterLiterals([l]), bits }));
  const kept = prefilterLiterals([...rule, ...extra.flatMap((e) => e.forms)]);
  const classOf = new Map<string, number>();
  const absorbed: string[] = [];
  for (const k of kept) {
    let bits = 0;
    for (const l of rule) {
      if (!l.includes(k)) continue;
      bits |= l === k ? RULE_HIT : RULE_MAYBE;
      if (l !== k) absorbed.push(toLatin1(l));
    }
    for (const e of extra) if (e.forms.some((l) => l.includes(k))) bits |= e.bits;
    if ((bits & RULE_HIT) !== 0) bits &= ~RULE_MAYBE;
    // the parser hands the scanner the file's bytes as Latin-1: search for the literals' bytes
    classOf.set(toLatin1(k), bits);
  }
  return {
    scanner: classOf.size > 0 ? new LiteralScanner(classOf.keys(), classOf) : undefined,
    everyEvent,
    classed: extraLiterals.size > 0,
    absorbed: absorbed.length > 0 ? new LiteralScanner(absorbed) : undefined,
  };
}

/** Does `text` (a real string, not Latin-1) hold one of the prefilter's literals, or does everything pass? */
export function prefilterPasses(prefilter: Prefilter, text: string): boolean {
  return prefilter.everyEvent || (prefilter.scanner?.test(toLatin1(text)) ?? false);
}
