// The compiled form of a rule that every stage reads (match, correlate, sinks), and the error a
// broken rule file raises. Kept apart from the loader so a stage that only reads rules does not
// import the YAML/Handlebars loading code.
import { UserError } from '../errors.js';
import type { RuleSpec } from './rule-schema.js';
import type { RuleCaptures } from './capture-types.js';
import type { RegexEngine, RuleRegex } from './regex-engine.js';

export class RuleError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${detail}`);
    this.name = 'RuleError';
  }
}

export interface CompiledPattern {
  regex: RuleRegex;
  /** Which engine runs it (see regex-engine.ts): every user pattern's time is bounded. */
  engine: RegexEngine;
  source: 'log' | 'ps';
  sufficient: boolean;
  set: Record<string, string>;
  /** Template of the service name (`{{command}}`, `{{match}}`), if the pattern sets one. */
  service: string | undefined;
  /** Literals of which every match contains one; undefined means this pattern sees every event. */
  literals: string[] | undefined;
  caseInsensitive: boolean;
}

/** The texts of a rule in one language, as Handlebars sources aligned with the English lists. */
export interface RuleTexts {
  title: string;
  description: string | undefined;
  summary: string | undefined;
  diagnosis: string;
  remediation: Array<{ title: string; kind: 'command' | 'code-change' | 'config-change' | 'investigate'; commands: string[]; detail: string | undefined }>;
  verify: string[];
  prevent: string[];
  /** What `set:` values read as in this language (capture → English value → text); English has none. */
  setValues?: Record<string, Record<string, string>>;
}

export interface CompiledRule {
  spec: RuleSpec;
  file: string;
  builtin: boolean;
  /** Set when this user rule replaced a built-in one. */
  overrides?: string | undefined;
  patterns: CompiledPattern[];
  excludes: RuleRegex[];
  /** YAML line of a field (user rules read from YAML; undefined for the build-time cache). */
  lineOf?: ((p: Array<string | number>) => number | undefined) | undefined;
  windowMs: number;
  resolveAfterMs: number;
  /** Which captures carry log values and their types; which are the rule's own constants. */
  captures: RuleCaptures;
  /** English texts, and the Chinese ones when the rule file has a `zh:` block (commands shared). */
  texts: { en: RuleTexts; zh: RuleTexts | undefined };
}
