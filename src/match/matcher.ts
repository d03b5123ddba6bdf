// Apply compiled rules to events. Built once per run; `prefilter` tells the parser which lines
// can possibly match, so only those events are built and tested here. Per event, one scan for
// every pattern's required literals picks the patterns worth running: on a log where every
// line matches some rule, running all ~70 regexes (and ~100 `includes`) per line was most of
// the time (measured: 2.4 MB/s on a 256 MiB log of matching lines).
import type { LogEvent, Match } from '../model.js';
import type { CompiledPattern, CompiledRule } from '../rules/types.js';
import type { RegexHit, RuleRegex } from '../rules/regex-engine.js';
import { RULE_HIT, RULE_MAYBE, buildPrefilter, prefilterPasses, type Prefilter } from '../parse/prefilter.js';
import { LiteralScanner } from '../parse/literal-scanner.js';
import { FACT_LITERALS } from './facts.js';
import { toLatin1 } from '../text/latin1.js';
import { RepeatMemo } from './repeat-memo.js';

interface PatternPlan {
  rule: CompiledRule;
  /** The rule's place in the plans: candidates of one rule are adjacent. */
  ruleIndex: number;
  pattern: CompiledPattern;
  /** Indices (in the scanner) of the literals one of which every match holds; undefined: always run. */
  literals: number[] | undefined;
}

/** What the literal index found in one text: any rule literal, and the patterns worth running, in rule order. */
interface Scanned {
  any: boolean;
  candidates: PatternPlan[];
  /** Per candidate, its hit on the text once run (undefined: not run yet). */
  hits: Array<RegexHit | typeof EXCLUDED | null | undefined>;
}

/**
 * Texts whose scan is remembered, and the longest such text: a crash loop repeats a few
 * messages millions of times, and a map lookup costs a fraction of the literal scan and of
 * the walk over every pattern (measured: together a quarter of a run on a log where every
 * line matches).
 */
const RECENT_TEXTS = 512;
const EXCLUDED = Symbol('excluded');
const RECENT_MAX_CHARS = 400;

/** The literal index of one event kind's patterns (ps rows have short literals like `vite`). */
class LiteralIndex {
  readonly scanner: LiteralScanner | undefined;
  readonly found: Uint32Array;
  private readonly indexOf: Map<string, number>;
  mark = 0;

  constructor(patterns: CompiledPattern[]) {
    const literals = new Set<string>();
    for (const p of patterns) if (indexable(p)) for (const l of p.literals ?? []) literals.add(l);
    this.scanner = literals.size > 0 ? new LiteralScanner(literals) : undefined;
    this.indexOf = new Map((this.scanner?.literals ?? []).map((l, i) => [l, i]));
    this.found = new Uint32Array(this.scanner?.literals.length ?? 0);
  }

  plan(p: CompiledPattern): number[] | undefined {
    if (!indexable(p)) return undefined;
    const idx = (p.literals ?? []).map((l) => this.indexOf.get(l));
    return idx.every((i) => i !== undefined) ? idx.filter((i) => i !== undefined) : undefined;
  }

  /** Marks the literals `text` holds; true when it holds any. */
  scan(text: string): boolean {
    if (++this.mark === 0xffffffff) {
      this.found.fill(0);
      this.mark = 1;
    }
    return this.scanner?.markFound(text, this.found, this.mark) ?? false;
  }

  anyFound(literals: number[]): boolean {
    for (const i of literals) if (this.found[i] === this.mark) return true;
    return false;
  }
}

export class Matcher {
  /** What the parser builds events for: the rules' literals, plus the fact patterns' when asked. */
  readonly prefilter: Prefilter;
  /** The rules' literals alone: an event built only for a fact skips the rules. */
  readonly rulePrefilter: Prefilter;
  /** Per event kind, every rule's patterns for it in rule order (plain monomorphic objects: the loop runs per event). */
  private readonly plans: Record<LogEvent['kind'], PatternPlan[]>;
  private readonly index: Record<LogEvent['kind'], LiteralIndex>;
  private readonly recent: Record<LogEvent['kind'], Map<string, Scanned>> = { log: new Map(), ps: new Map() };
  /** The log index's literals are all ASCII (the rules' prefilter lower-cases beyond ASCII). */
  private readonly asciiIndex: boolean;
  /** A repeated event's matches, as found for its first repeat, by matchEvent and by matchBuilt. */
  private readonly repeatsEvent = new RepeatMemo<Match[]>();
  private readonly repeatsBuilt = new RepeatMemo<Match[]>();

  /** `facts`: also build the events the fact patterns need (match/facts.ts), for reports. */
  constructor(
    readonly rules: CompiledRule[],
    options: { facts?: boolean } = {},
  ) {
    this.rulePrefilter = buildPrefilter(rules);
    this.prefilter = options.facts === true ? buildPrefilter(rules, FACT_LITERALS) : this.rulePrefilter;
    const all = rules.flatMap((r) => r.patterns);
    this.index = { log: new LiteralIndex(all.filter((p) => p.source === 'log')), ps: new LiteralIndex(all.filter((p) => p.source === 'ps')) };
    const plansFor = (kind: LogEvent['kind']): PatternPlan[] =>
      rules.flatMap((rule, ruleIndex) =>
        rule.patterns.filter((p) => p.source === kind).map((pattern) => ({ rule, ruleIndex, pattern, literals: this.index[kind].plan(pattern) })),
      );
    this.plans = { log: plansFor('log'), ps: plansFor('ps') };
    this.asciiIndex = (this.index.log.scanner?.literals ?? []).every((l) => /^[\x00-\x7f]*$/.test(l));
  }

  /**
   * Does the event hold a rule literal, by the class bits the parser's prefilter scan gave its
   * lines? Then matchEvent; else it was built for a fact and no rule can match (no second scan).
   */
  ruleEvent(event: LogEvent, hot: number): boolean {
    if ((hot & RULE_HIT) !== 0) return true;
    // only a rule literal that holds the event's fact literal can be there: the scan found no other
    return (hot & RULE_MAYBE) !== 0 && (this.prefilter.absorbed?.test(toLatin1(event.raw)) ?? false);
  }

  /** Like matchEvent, but an event holding none of the rules' literals is not tested (it was built for a fact). */
  matchBuilt(event: LogEvent): Match[] {
    if (this.prefilter === this.rulePrefilter || event.kind === 'ps') return this.matchEvent(event);
    const known = this.repeatsBuilt.known(event);
    if (known !== undefined) return repeatMatches(known, event);
    const scanned = this.scanned('log', event.text);
    // An ASCII rule literal in the text, and the text a tail of the raw event, means the raw
    // event passes the rules' prefilter too: skip that second scan (measured: ~8% of a run on
    // a log where every line matches)
    if (this.asciiIndex && scanned.any && event.raw.endsWith(event.text)) {
      // decided by the text alone (the raw text's tail): holds for the event's repeats
      const matches = this.matchWith(event, scanned);
      this.repeatsBuilt.remember(event, matches);
      return matches;
    }
    // the raw text decides, and a repeat's differs in its timestamp: not remembered
    if (prefilterPasses(this.rulePrefilter, event.raw)) return this.matchWith(event, scanned);
    return [];
  }

  /** Every rule's first matching pattern (per rule), unless an exclude vetoes it. */
  matchEvent(event: LogEvent): Match[] {
    // a repeated line's matches are its first repeat's (they depend on the text and fields alone)
    const known = this.repeatsEvent.known(event);
    if (known !== undefined) return repeatMatches(known, event);
    const matches = this.matchWith(event, this.scanned(event.kind, event.text));
    this.repeatsEvent.remember(event, matches);
    return matches;
  }

  private matchWith(event: LogEvent, scanned: Scanned): Match[] {
    const out: Match[] = [];
    let decided = -1;
    const { candidates, hits } = scanned;
    for (let i = 0; i < candidates.length; i++) {
      const plan = candidates[i];
      if (plan === undefined || plan.ruleIndex === decided) continue;
      // a pattern's hit depends on the text alone: run once per remembered text
      let found = hits[i];
      if (found === undefined) hits[i] = found = runPattern(plan.rule, plan.pattern, event.text);
      if (found === null) continue;
      if (found !== EXCLUDED) out.push(matchOf(plan.rule, plan.pattern, event, found));
      decided = plan.ruleIndex;
    }
    return out;
  }

  /** The literal index's answer for `text`: remembered for recent short texts. */
  private scanned(kind: LogEvent['kind'], text: string): Scanned {
    const recent = this.recent[kind];
    const cacheable = text.length <= RECENT_MAX_CHARS;
    const known = cacheable ? recent.get(text) : undefined;
    if (known) return known;
    const index = this.index[kind];
    const any = index.scan(text);
    const candidates: PatternPlan[] = [];
    for (const plan of this.plans[kind]) if (!plan.literals || index.anyFound(plan.literals)) candidates.push(plan);
    const result: Scanned = { any, candidates, hits: new Array<RegexHit | typeof EXCLUDED | null | undefined>(candidates.length).fill(undefined) };
    if (cacheable) {
      if (recent.size >= RECENT_TEXTS) recent.clear();
      recent.set(text, result);
    }
    return result;
  }
}

/**
 * Patterns the literal index can skip: with required literals, and either case-sensitive or
 * with ASCII literals only (the scanner folds ASCII case, nothing else).
 */
function indexable(p: CompiledPattern): boolean {
  if (!p.literals || p.literals.length === 0 || p.literals.some((l) => l.length === 0)) return false;
  return !p.caseInsensitive || p.literals.every((l) => /^[\x00-\x7f]*$/.test(l));
}


export function matchRule(rule: CompiledRule, event: LogEvent): Match | undefined {
  for (const pattern of rule.patterns) {
    if (pattern.source !== event.kind) continue;
    const found = runPattern(rule, pattern, event.text);
    if (found === null) continue;
    return found === EXCLUDED ? undefined : matchOf(rule, pattern, event, found);
  }
  return undefined;
}

/** One pattern on one text: its hit, EXCLUDED when an exclude vetoes it, or null. Depends on the text alone. */
function runPattern(rule: CompiledRule, pattern: CompiledPattern, text: string): RegexHit | typeof EXCLUDED | null {
  const found = pattern.regex.exec(text);
  if (!found) return null;
  if (rule.excludes.some((ex) => ex.test(text))) return EXCLUDED;
  return found;
}

/** The match of a pattern's hit on one event. */
function matchOf(rule: CompiledRule, pattern: CompiledPattern, event: LogEvent, found: RegexHit): Match {
  // Object.assign, not a spread: keys added to a spread copy took ~10 µs per match (measured)
  const captures: Record<string, string> = Object.assign({}, pattern.set);
  const groups = found.groups;
  if (groups) {
    for (const k of groupNames(pattern, groups)) {
      const v = groups[k];
      if (v !== undefined) captures[k] = v.trim();
    }
  }
  if (captures.pid === undefined && event.pid !== undefined) captures.pid = String(event.pid);
  const named = pattern.service ? fillCaptures(pattern.service, { ...captures, match: found[0].replace(/^[\s/]+/, '') }) : '';
  const service = named || captures.service || event.service;
  captures.service = service;
  const scope = event.scope ?? '';
  // a loop, not map + join: this runs per match
  let byRule = '';
  const groupBy = rule.spec.group_by;
  for (let i = 0; i < groupBy.length; i++) {
    const key = groupBy[i];
    const part = key === 'file' ? event.file : key === 'service' ? service : ((key !== undefined ? captures[key] : undefined) ?? '');
    byRule = i === 0 ? part : `${byRule}\u0000${part}`;
  }
  // the scope joins the key only when there is one, so single-scope runs keep their incident ids
  const groupKey = scope === '' ? byRule : `${byRule}\u0000@${scope}`;
  return {
    rule: rule.spec.id,
    event,
    captures,
    groupKey,
    scope,
    service,
    time: event.time ?? 0,
    sufficient: pattern.sufficient,
  };
}

/**
 * `matches` again for a repeat of their event: everything matchOf derived came from the event's
 * text and fields, which a repeat shares (captures are shared too: nothing writes to them after
 * matchOf). Same properties in the same order as matchOf's.
 */
function repeatMatches(matches: Match[], event: LogEvent): Match[] {
  if (matches.length === 0) return matches;
  return matches.map((m) => ({
    rule: m.rule,
    event,
    captures: m.captures,
    groupKey: m.groupKey,
    scope: m.scope,
    service: m.service,
    time: event.time ?? 0,
    sufficient: m.sufficient,
  }));
}

/**
 * A V8 regex's group names, listed once: iterating the `groups` object of every match
 * (Object.entries) cost several times the regex itself on a log where every line matched.
 */
const namesOf = new WeakMap<RuleRegex, string[]>();
function groupNames(pattern: CompiledPattern, groups: NonNullable<RegexHit['groups']>): string[] {
  if (pattern.engine !== 'v8') return Object.keys(groups);
  let names = namesOf.get(pattern.regex);
  if (!names) {
    names = Object.keys(groups);
    namesOf.set(pattern.regex, names);
  }
  return names;
}

/** `{{name}}` placeholders filled from captures; spaces collapsed. Runs per match, so no Handlebars. */
export function fillCaptures(template: string, captures: Record<string, string>): string {
  return template
    .replace(/\{\{\s*([\w$]+)\s*\}\}/g, (_m, name: string) => captures[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}
