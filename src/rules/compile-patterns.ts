// A rule's `match` and `exclude` regexes, compiled on the engine that bounds their time
// (regex-engine.ts). A syntax error or a user pattern that cannot run in bounded time is a
// RuleError at the pattern's own YAML line.
import type { RuleSpec } from './rule-schema.js';
import { requiredLiterals } from './literals.js';
import { compileRuleRegex, UnsafePatternError } from './regex-engine.js';
import { RuleError, type CompiledPattern } from './types.js';
import type { RuleRegex, RegexEngine } from './regex-engine.js';

type LineOf = (p: Array<string | number>) => number | undefined;

function compileOne(source: string, flags: string, builtin: boolean, file: string, at: LineOf, p: Array<string | number>): { regex: RuleRegex; engine: RegexEngine } {
  try {
    return compileRuleRegex(source, flags, builtin);
  } catch (err) {
    const detail = err instanceof UnsafePatternError || err instanceof SyntaxError ? err.message : String(err);
    throw new RuleError(file, at(p), `${p.join('.')}: ${detail}`);
  }
}

export function compileMatchPatterns(spec: RuleSpec, file: string, builtin: boolean, at: LineOf): CompiledPattern[] {
  return spec.match.map((p, i) => {
    const { regex, engine } = compileOne(p.regex, p.flags ?? '', builtin, file, at, ['match', i, 'regex']);
    return {
      regex,
      engine,
      source: p.source,
      sufficient: p.sufficient,
      set: p.set ?? {},
      service: p.service,
      literals: requiredLiterals(p.regex),
      caseInsensitive: (p.flags ?? '').includes('i'),
    };
  });
}

export function compileExcludes(spec: RuleSpec, file: string, builtin: boolean, at: LineOf): RuleRegex[] {
  return spec.exclude.map((src, i) => compileOne(src, '', builtin, file, at, ['exclude', i]).regex);
}
