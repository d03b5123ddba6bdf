// Load rule files — built-in `rules/` first, then each user `--rules` folder — through one
// validated path. A broken file is a RuleError naming the file, line and field; user rules
// with a built-in's id replace it (never edit the shipped files, like fail2ban's `.local`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import Handlebars from 'handlebars';
import { ruleSchema, parseDuration, type RuleSpec } from './rule-schema.js';
import { requiredLiterals } from './literals.js';

export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

export class RuleError extends Error {
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
  regex: RegExp;
  source: 'log' | 'ps';
  sufficient: boolean;
  set: Record<string, string>;
  /** Template of the service name (`{{command}}`, `{{match}}`), if the pattern sets one. */
  service: string | undefined;
  /** Literals of which every match contains one; undefined means this pattern sees every event. */
  literals: string[] | undefined;
  caseInsensitive: boolean;
}

export type Template = (context: object) => string;

export interface CompiledRule {
  spec: RuleSpec;
  file: string;
  builtin: boolean;
  /** Set when this user rule replaced a built-in one. */
  overrides?: string | undefined;
  patterns: CompiledPattern[];
  excludes: RegExp[];
  windowMs: number;
  resolveAfterMs: number;
  templates: {
    summary: Template | undefined;
    diagnosis: Template;
    remediation: Array<{ title: Template; commands: Template[]; detail: Template | undefined }>;
    verify: Template[];
    prevent: Template[];
  };
}

const hbs = Handlebars.create();

export interface LoadRulesOptions {
  /** Extra rule folders or files, in order; later ones win on equal ids. */
  extra?: string[];
  /** Skip the built-in rules (for `rules test <file>`). */
  noBuiltin?: boolean;
}

export function loadRules(options: LoadRulesOptions = {}): CompiledRule[] {
  const byId = new Map<string, CompiledRule>();
  const sources: Array<{ dir: string; builtin: boolean }> = [];
  if (!options.noBuiltin) sources.push({ dir: BUILTIN_RULES_DIR, builtin: true });
  for (const extra of options.extra ?? []) sources.push({ dir: extra, builtin: false });
  for (const { dir, builtin } of sources) {
    const seenHere = new Map<string, string>();
    for (const file of ruleFiles(dir)) {
      const rule = loadRuleFile(file, builtin);
      const dup = seenHere.get(rule.spec.id);
      if (dup) throw new RuleError(file, undefined, `rule id "${rule.spec.id}" is also defined in ${dup}`);
      seenHere.set(rule.spec.id, file);
      const previous = byId.get(rule.spec.id);
      if (previous) rule.overrides = previous.file;
      byId.set(rule.spec.id, rule);
    }
  }
  return [...byId.values()];
}

function ruleFiles(dirOrFile: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(dirOrFile);
  } catch {
    throw new RuleError(dirOrFile, undefined, 'rules folder not found');
  }
  if (st.isFile()) return [dirOrFile];
  return fs
    .readdirSync(dirOrFile)
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()
    .map((n) => path.join(dirOrFile, n));
}

export function loadRuleFile(file: string, builtin = false): CompiledRule {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuleError(file, undefined, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw new RuleError(file, line, `invalid YAML: ${yamlError.message.split('\n')[0] ?? ''}`);
  }
  const parsed = ruleSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const issuePath = (issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol');
    const where = issuePath.length ? issuePath.join('.') : '(top level)';
    throw new RuleError(file, lineOf(doc, lineCounter, issuePath), `${where}: ${issue?.message ?? 'invalid rule'}`);
  }
  const spec = parsed.data;
  const at = (p: Array<string | number>): number | undefined => lineOf(doc, lineCounter, p);

  const patterns: CompiledPattern[] = spec.match.map((p, i) => {
    let regex: RegExp;
    try {
      regex = new RegExp(p.regex, p.flags ?? '');
    } catch (err) {
      throw new RuleError(file, at(['match', i, 'regex']), `match.${i}.regex: ${(err as Error).message}`);
    }
    return {
      regex,
      source: p.source,
      sufficient: p.sufficient,
      set: p.set ?? {},
      service: p.service,
      literals: requiredLiterals(p.regex),
      caseInsensitive: (p.flags ?? '').includes('i'),
    };
  });
  const excludes = spec.exclude.map((src, i) => {
    try {
      return new RegExp(src);
    } catch (err) {
      throw new RuleError(file, at(['exclude', i]), `exclude.${i}: ${(err as Error).message}`);
    }
  });

  const known = new Set(['service', 'file', 'pid']);
  for (const p of patterns) {
    for (const name of namedGroups(p.regex)) known.add(name);
    for (const name of Object.keys(p.set)) known.add(name);
  }
  spec.group_by.forEach((key, i) => {
    if (!known.has(key)) {
      throw new RuleError(file, at(['group_by', i]), `group_by.${i}: "${key}" is not service, file, pid or a capture of this rule (${[...known].join(', ')})`);
    }
  });
  const distinct = spec.threshold.distinct;
  if (distinct && !known.has(distinct)) {
    throw new RuleError(file, at(['threshold', 'distinct']), `threshold.distinct: "${distinct}" is not a capture of this rule`);
  }

  // Templates are parsed now (a syntax error names its line at load time) and compiled on
  // first use: compiling every rule's texts cost ~150 ms of start-up for reports rarely rendered.
  const compile = (source: string, p: Array<string | number>): Template => {
    try {
      hbs.parse(source);
    } catch (err) {
      throw new RuleError(file, at(p), `${p.join('.')}: bad template: ${((err as Error).message.split('\n')[0] ?? '').trim()}`);
    }
    let compiled: Template | undefined;
    return (context) => {
      compiled ??= hbs.compile(source, { noEscape: true, strict: false });
      return compiled(context);
    };
  };
  const windowMs = parseDuration(spec.window);
  return {
    spec,
    file,
    builtin,
    patterns,
    excludes,
    windowMs,
    resolveAfterMs: spec.resolve_after ? parseDuration(spec.resolve_after) : windowMs,
    templates: {
      summary: spec.summary === undefined ? undefined : compile(spec.summary, ['summary']),
      diagnosis: compile(spec.diagnosis, ['diagnosis']),
      remediation: spec.remediation.map((r, i) => ({
        title: compile(r.title, ['remediation', i, 'title']),
        commands: r.commands.map((c, j) => compile(c, ['remediation', i, 'commands', j])),
        detail: r.detail === undefined ? undefined : compile(r.detail, ['remediation', i, 'detail']),
      })),
      verify: spec.verify.map((v, i) => compile(v, ['verify', i])),
      prevent: spec.prevent.map((v, i) => compile(v, ['prevent', i])),
    },
  };
}

function namedGroups(regex: RegExp): string[] {
  return [...regex.source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1] ?? '');
}

/** Line of the YAML node at `p` (or its nearest existing parent). */
function lineOf(doc: Document, counter: LineCounter, p: Array<string | number>): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
