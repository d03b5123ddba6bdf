// Rule regexes that no log line can stall. Users write their own patterns (`--rules`), and
// `(a+)+$` on a 60-character line would otherwise keep V8's backtracking engine busy for ever.
//
// Every user pattern runs on re2js (RE2 in pure JavaScript): linear time in the line's length,
// whatever the pattern, as Vector (Rust regex), Filebeat and Alertmanager (Go regexp) do. A
// pattern RE2 cannot run (a lookaround or a backreference) is refused in a user rule with the
// reason. Built-in rules keep V8's engine and its full syntax: they are ours, and the test
// suite runs each against hostile input. Why not V8's own linear-time fallback
// (--enable-experimental-regexp-engine-on-excessive-backtracks): it only covers patterns
// without lookarounds, `i`, `u` or {n,m}, and it does not count the backtracking of simple
// greedy loops, so `\S+failed` on a 60 KiB line still took 2.9 s; re2js took 0.1 ms (figures in
// bench/README.md, "Hostile input").
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

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

/** Which engine runs a pattern: RE2 (user rules, linear time) or V8 (built-in rules). */
export type RegexEngine = 're2' | 'v8';

export class UnsafePatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePatternError';
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

/** JavaScript's `\uXXXX` is RE2's `\x{XXXX}` (an escaped backslash before it is left alone). */
function toRe2Syntax(source: string): string {
  return source.replace(/(?<!\\)((?:\\\\)*)\\u([0-9A-Fa-f]{4})/g, '$1\\x{$2}');
}

/** Why RE2 cannot take a pattern, in words a rule author can act on. */
function whyNotLinear(source: string, re2Message: string): string {
  if (/\(\?<?[=!]/.test(source)) return 'it uses a lookaround ((?=, (?!, (?<=, (?<!)';
  if (/\\[1-9]|\\k</.test(source)) return 'it uses a backreference';
  return `RE2 cannot run it (${re2Message.replace(/^error parsing regexp: /, '')})`;
}

/**
 * Compile a rule pattern. `trusted` patterns (built-in rules) run on V8; a user pattern runs on
 * RE2, or is refused with an UnsafePatternError saying why. A JavaScript syntax error is thrown
 * as the RegExp SyntaxError, for both.
 */
export function compileRuleRegex(source: string, flags: string, trusted: boolean): { regex: RuleRegex; engine: RegexEngine } {
  const native = new RegExp(source, flags);
  if (trusted) return { regex: native, engine: 'v8' };
  try {
    return { regex: new Re2Regex(source, flags, RE2JS().compile(toRe2Syntax(source), re2Flags(flags))), engine: 're2' };
  } catch (err) {
    const reason = whyNotLinear(source, err instanceof Error ? err.message : String(err));
    throw new UnsafePatternError(
      `cannot run in linear time: ${reason}. Patterns of --rules files run on RE2 so that no log line can stall a run; rewrite it without lookarounds and backreferences (match the wider text and narrow it with exclude:)`,
    );
  }
}
