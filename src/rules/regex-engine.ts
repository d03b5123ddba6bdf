// Rule regexes that no log line can stall. Users write their own patterns (`--rules`), and
// `(a+)+$` on a 60-character line would otherwise keep V8's backtracking engine busy for ever.
//
// Every user pattern runs in bounded time, one of two ways (measured in bench/README.md):
// - V8's own regex engine with its linear-time fallback: after BACKTRACKS_BEFORE_FALLBACK
//   backtracks on one exec, V8 re-runs that exec on its linear-time (NFA) engine. Ordinary
//   lines never get near the limit, so they keep irregexp's speed. V8 applies the limit only to
//   patterns its linear engine can run: no lookarounds, no backreferences, no `i`/`u` flag, no
//   large counted repetition.
// - Otherwise re2js (RE2 in pure JavaScript: linear time, `i`/`u` and `{n,m}` supported).
// A pattern neither can run (a lookaround or a backreference) is refused in a user rule: RE2,
// Go, Rust and Vector refuse them for the same reason. Built-in rules keep the full syntax; they
// are checked by the test suite against hostile input instead.
import v8 from 'node:v8';
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

/**
 * One exec may backtrack this often before V8 switches it to the linear engine. V8's default
 * is 50,000; at 10,000 a hostile 60-byte line costs ~0.1 ms instead of ~0.4 ms, and no
 * built-in pattern comes near it on real lines.
 */
export const BACKTRACKS_BEFORE_FALLBACK = 10_000;

/** What a rule needs from a match: the matched text and the named groups. RegExp fits it. */
export interface RegexHit {
  readonly 0: string;
  readonly groups?: Record<string, string | undefined> | undefined;
}

export interface RuleRegex {
  readonly source: string;
  readonly flags: string;
  exec(text: string): RegexHit | null;
  test(text: string): boolean;
}

/** Which engine runs a pattern: V8 bounded by its linear fallback, RE2, or V8 unbounded (built-ins only). */
export type RegexEngine = 'v8-fallback' | 're2' | 'v8';

export class UnsafePatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePatternError';
  }
}

let linearFallback: boolean | undefined;

/**
 * Turn on V8's linear-time fallback (and the `l` flag, which tells whether a pattern can use
 * it). Must run before rule regexes are created: V8 fixes a regex's backtrack limit when it
 * is constructed. Returns false on a Node whose V8 lacks the engine: user patterns then all
 * run on RE2.
 */
export function enableLinearFallback(): boolean {
  if (linearFallback !== undefined) return linearFallback;
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    v8.setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
    linearFallback = new RegExp('(a+)+$', 'l').test('aa');
  } catch {
    linearFallback = false;
  }
  return linearFallback;
}

/** Can V8's linear engine run this pattern (and so bound it after too many backtracks)? */
export function v8CanRunLinear(source: string, flags: string): boolean {
  if (!enableLinearFallback()) return false;
  try {
    new RegExp(source, `${flags}l`);
    return true;
  } catch {
    return false;
  }
}

const require = createRequire(import.meta.url);
let re2js: typeof RE2JSClass | undefined;
function RE2JS(): typeof RE2JSClass {
  // loaded only when a user pattern needs it
  re2js ??= (require('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
  return re2js;
}

class Re2Regex implements RuleRegex {
  private readonly names: string[];

  constructor(
    readonly source: string,
    readonly flags: string,
    private readonly re: RE2JSClass,
  ) {
    this.names = Object.keys(re.namedGroups());
  }

  exec(text: string): RegexHit | null {
    const m = this.re.matcher(text);
    if (!m.find()) return null;
    const groups: Record<string, string | undefined> = {};
    for (const name of this.names) groups[name] = m.group(name) ?? undefined;
    return { 0: m.group(0) ?? '', groups: this.names.length > 0 ? groups : undefined };
  }

  test(text: string): boolean {
    return this.re.matcher(text).find();
  }
}

function re2Flags(flags: string): number {
  const R = RE2JS();
  let out = 0;
  if (flags.includes('i')) out |= R.CASE_INSENSITIVE;
  if (flags.includes('m')) out |= R.MULTILINE;
  if (flags.includes('s')) out |= R.DOTALL;
  return out;
}

/** Why RE2 cannot take a pattern, in words a rule author can act on. */
function whyNotLinear(source: string, re2Message: string): string {
  if (/\(\?<?[=!]/.test(source)) return 'it uses a lookaround ((?=, (?!, (?<=, (?<!)';
  if (/\\[1-9]|\\k</.test(source)) return 'it uses a backreference';
  return `RE2 cannot run it (${re2Message.replace(/^error parsing regexp: /, '')})`;
}

/**
 * Compile a rule pattern. `trusted` patterns (built-in rules) always run on V8; a user pattern
 * runs where its time is bounded, or is refused with an UnsafePatternError saying why. A
 * JavaScript syntax error is thrown as the RegExp SyntaxError.
 */
export function compileRuleRegex(source: string, flags: string, trusted: boolean): { regex: RuleRegex; engine: RegexEngine } {
  enableLinearFallback(); // before the RegExp exists: V8 sets its backtrack limit at construction
  const native = new RegExp(source, flags);
  if (v8CanRunLinear(source, flags)) return { regex: native, engine: 'v8-fallback' };
  if (trusted) return { regex: native, engine: 'v8' };
  try {
    return { regex: new Re2Regex(source, flags, RE2JS().compile(source, re2Flags(flags))), engine: 're2' };
  } catch (err) {
    const reason = whyNotLinear(source, err instanceof Error ? err.message : String(err));
    throw new UnsafePatternError(
      `cannot run in linear time: ${reason}. User rules run on linear-time engines so that no log line can stall a run; rewrite it without lookarounds and backreferences (match the wider text and narrow it with exclude:)`,
    );
  }
}
