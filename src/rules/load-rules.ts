// Load rule files — built-in `rules/` first, then each user `--rules` folder — through one
// validated path. A broken file is a RuleError naming the file, line and field; user rules
// with a built-in's id replace it (never edit the shipped files, like fail2ban's `.local`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Document, LineCounter as LineCounterType } from 'yaml';
import type HandlebarsNamespace from 'handlebars';
import { schemas, type RuleSpec } from './rule-schema.js';
import { parseDuration } from './duration.js';
import { RuleError, type CompiledRule, type RuleTexts } from './types.js';
import { namedGroups, ruleCaptures } from './capture-types.js';
import { checkPasteable, splitShellComment, type PasteKind } from './template-check.js';
import { compileExcludes, compileMatchPatterns } from './compile-patterns.js';
import { describeTemplateError, knownKeysAt, placeIssue, type SchemaIssue } from './rule-errors.js';

export { RuleError } from './types.js';


export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

// yaml and handlebars load on first use: a run whose built-in rules come from the build-time
// cache (see loadBuiltinRules) needs neither at start-up (they cost ~330 ms of a 0.5 s start).
const require = createRequire(import.meta.url);
let hbsInstance: typeof HandlebarsNamespace | undefined;
function hbs(): typeof HandlebarsNamespace {
  if (!hbsInstance) {
    const handlebars: typeof HandlebarsNamespace = require('handlebars');
    hbsInstance = handlebars.create();
  }
  return hbsInstance;
}
function yamlLib(): typeof import('yaml') {
  return require('yaml');
}

/** The built-in rules, validated at build time (scripts/cache-rules.js), with the files they came from. */
export const BUILTIN_CACHE = fileURLToPath(new URL('../builtin-rules.json', import.meta.url));

interface RuleCache {
  files: Array<{ name: string; size: number; mtimeMs: number; spec: unknown }>;
}

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
    const cached = builtin ? cachedBuiltinRules() : undefined;
    for (const rule of cached ?? ruleFiles(dir).map((file) => loadRuleFile(file, builtin))) {
      const file = rule.file;
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
  if (!st.isDirectory()) throw new RuleError(dirOrFile, undefined, `not a rule file or folder (${fileKind(st)})`);
  let names: string[];
  try {
    names = fs.readdirSync(dirOrFile);
  } catch (err) {
    throw new RuleError(dirOrFile, undefined, `cannot read the folder: ${err instanceof Error ? err.message : String(err)}`);
  }
  const files = names.filter((n) => /\.ya?ml$/i.test(n)).sort();
  // an empty --rules folder is almost always a wrong path: say so rather than run without the rules
  if (files.length === 0) throw new RuleError(dirOrFile, undefined, 'no rule files (*.yaml, *.yml) in this folder');
  return files.map((n) => path.join(dirOrFile, n));
}

function fileKind(st: fs.Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The built-in rules from the build-time cache, if it matches the rule files on disk (same
 * names, sizes and modification times); otherwise undefined and they are read from YAML.
 */
function cachedBuiltinRules(): CompiledRule[] | undefined {
  let cache: RuleCache;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(BUILTIN_CACHE, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || !('files' in parsed) || !Array.isArray(parsed.files)) return undefined;
    cache = { files: parsed.files };
  } catch {
    return undefined;
  }
  const names = fs.readdirSync(BUILTIN_RULES_DIR).filter((n) => /\.ya?ml$/i.test(n)).sort();
  if (names.length !== cache.files.length) return undefined;
  const rules: CompiledRule[] = [];
  for (const [i, name] of names.entries()) {
    const entry = cache.files[i];
    const file = path.join(BUILTIN_RULES_DIR, name);
    const st = fs.statSync(file);
    if (!entry || entry.name !== name || entry.size !== st.size || entry.mtimeMs !== st.mtimeMs) return undefined;
    // written by this version's build from validated rules: trusted as it is (no zod at start-up)
    if (!isCachedSpec(entry.spec)) return undefined;
    rules.push(compileRule(entry.spec, file, true, () => undefined, false));
  }
  return rules;
}

function isCachedSpec(v: unknown): v is RuleSpec {
  return typeof v === 'object' && v !== null && 'id' in v && typeof v.id === 'string' && 'match' in v && Array.isArray(v.match) && 'examples' in v;
}

/** Write the cache of the built-in rules (run by `npm run build`), after validating every file. */
export function writeBuiltinCache(): number {
  const names = fs.readdirSync(BUILTIN_RULES_DIR).filter((n) => /\.ya?ml$/i.test(n)).sort();
  const files = names.map((name) => {
    const file = path.join(BUILTIN_RULES_DIR, name);
    const st = fs.statSync(file);
    return { name, size: st.size, mtimeMs: st.mtimeMs, spec: loadRuleFile(file, true).spec };
  });
  fs.writeFileSync(BUILTIN_CACHE, JSON.stringify({ files }));
  return files.length;
}

export function loadRuleFile(file: string, builtinFlag = false): CompiledRule {
  // a file of the shipped rules/ folder is built-in however it is named (`rules test rules/x.yaml`)
  const builtin = builtinFlag || path.resolve(path.dirname(file)) === path.resolve(BUILTIN_RULES_DIR);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuleError(file, undefined, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw new RuleError(file, line, `invalid YAML: ${yamlError.message.split('\n')[0] ?? ''}`);
  }
  const parsed = schemas().ruleSchema.safeParse(yamlToJs(doc, file, lineCounter));
  if (!parsed.success) throw schemaError(parsed.error.issues, file, doc, lineCounter);
  const at = (p: Array<string | number>): number | undefined => lineOf(doc, lineCounter, p);
  const rule = compileRule(parsed.data, file, builtin, at, true);
  rule.lineOf = at;
  return rule;
}

/** Aliases one rule file may expand; a "billion laughs" file needs thousands. */
const MAX_ALIAS_COUNT = 100;

/** The document as plain data; an alias bomb (or any other expansion error) is a RuleError. */
function yamlToJs(doc: Document, file: string, counter: LineCounterType): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const alias = /alias/i.test(message) ? 'too many alias expansions (a YAML "billion laughs" file?); rule files need few or no aliases' : message;
    throw new RuleError(file, firstAliasLine(doc, counter), `invalid YAML: ${alias}`);
  }
}

/** Line of the first alias (`*name`) in the document, for the alias-bomb message. */
function firstAliasLine(doc: Document, counter: LineCounterType): number | undefined {
  const { visit, isAlias } = yamlLib();
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) line = counter.linePos(node.range[0]).line;
      return visit.BREAK;
    },
  });
  return line;
}

/**
 * Compile a validated rule: regexes, literals, capture types, template checks. `at` gives the YAML line of a field for
 * error messages; `checkTemplates` parses the Handlebars texts now (cached rules were checked at
 * build time).
 */
function compileRule(
  spec: RuleSpec,
  file: string,
  builtin: boolean,
  at: (p: Array<string | number>) => number | undefined,
  checkTemplates: boolean,
): CompiledRule {
  const patterns = compileMatchPatterns(spec, file, builtin, at);
  const excludes = compileExcludes(spec, file, builtin, at);

  const known = new Set(['service', 'file', 'pid']);
  for (const p of patterns) {
    for (const name of namedGroups(p.regex.source)) known.add(name);
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

  const captures = ruleCaptures(spec.match, spec.captures ?? {});
  Object.keys(spec.captures ?? {}).forEach((name) => {
    if (!(name in captures.types)) {
      throw new RuleError(file, at(['captures', name]), `captures.${name}: not a capture of this rule (${Object.keys(captures.types).join(', ')})`);
    }
  });
  // Templates are parsed now, so a syntax error or a raw log value in a command names its line
  // at load time; they are compiled by the sinks when an incident is rendered. Cached built-in
  // rules were checked at build time.
  const checkTemplate = (source: string, p: Array<string | number>, kind: PasteKind | undefined): void => {
    let ast: hbs.AST.Program;
    try {
      ast = hbs().parse(source);
    } catch (err) {
      const base = at(p);
      // a block scalar (`|-`) starts on the line after its key
      const bad = describeTemplateError(err, source, base === undefined ? undefined : base + (source.includes('\n') ? 1 : 0));
      throw new RuleError(file, bad.line, `${p.join('.')}: ${bad.message}`);
    }
    if (kind === undefined) return;
    const problem = checkPasteable(ast, kind, captures)[0];
    if (problem) {
      const base = at(p);
      // a block scalar (`|-`) starts on the line after its key
      const line = base === undefined ? undefined : base + problem.line - 1 + (source.includes('\n') ? 1 : 0);
      throw new RuleError(file, line, `${p.join('.')}: ${problem.message}`);
    }
  };
  if (checkTemplates) {
    const check = checkTemplate;
    if (spec.summary !== undefined) check(spec.summary, ['summary'], undefined);
    check(spec.diagnosis, ['diagnosis'], undefined);
    spec.remediation.forEach((r, i) => {
      check(r.title, ['remediation', i, 'title'], undefined);
      r.commands.forEach((c, j) => check(c, ['remediation', i, 'commands', j], 'shell'));
      if (r.detail !== undefined) check(r.detail, ['remediation', i, 'detail'], 'detail');
    });
    spec.verify.forEach((v, i) => check(v, ['verify', i], 'shell'));
    spec.prevent.forEach((v, i) => check(v, ['prevent', i], 'shell'));
  }
  const en = englishTexts(spec);
  const zh = spec.zh === undefined ? undefined : chineseTexts(spec, en, file, at);
  if (zh && checkTemplates) checkTexts(zh, ['zh'], (source, p, kind) => checkTemplate(source, p, kind));
  const windowMs = parseDuration(spec.window);
  return {
    spec,
    file,
    builtin,
    patterns,
    excludes,
    windowMs,
    resolveAfterMs: spec.resolve_after ? parseDuration(spec.resolve_after) : windowMs,
    captures,
    texts: { en, zh },
  };
}

function englishTexts(spec: RuleSpec): RuleTexts {
  return {
    title: spec.title,
    description: spec.description,
    summary: spec.summary,
    diagnosis: spec.diagnosis,
    remediation: spec.remediation.map((r) => ({ title: r.title, kind: r.kind, commands: r.commands, detail: r.detail })),
    verify: spec.verify,
    prevent: spec.prevent,
  };
}

/**
 * The Chinese texts, aligned with the English ones: same number of remediation steps, verify and
 * prevent items; a detail or summary exactly where the English has one. Commands are shared; a
 * `~` item is the English item itself, a `# …` item is the English command with this comment.
 */
function chineseTexts(spec: RuleSpec, en: RuleTexts, file: string, at: (p: Array<string | number>) => number | undefined): RuleTexts {
  const zh = spec.zh;
  if (zh === undefined) throw new Error('chineseTexts without a zh block');
  const fail = (p: Array<string | number>, message: string): never => {
    throw new RuleError(file, at(['zh', ...p]), `zh.${p.join('.')}: ${message}`);
  };
  const aligned = (name: 'remediation' | 'verify' | 'prevent', zhLength: number, enLength: number): void => {
    if (zhLength !== enLength) fail([name], `has ${zhLength} item(s) but the English ${name} has ${enLength}; the lists are aligned by index`);
  };
  aligned('remediation', zh.remediation.length, en.remediation.length);
  aligned('verify', zh.verify.length, en.verify.length);
  aligned('prevent', zh.prevent.length, en.prevent.length);
  if ((zh.summary === undefined) !== (en.summary === undefined)) fail(['summary'], zh.summary === undefined ? 'missing: the English rule has a summary' : 'the English rule has no summary');
  const remediation = en.remediation.map((r, i) => {
    const z = zh.remediation[i];
    if (z === undefined) return fail(['remediation', i], 'missing');
    if ((z.detail === undefined) !== (r.detail === undefined)) {
      fail(['remediation', i, 'detail'], z.detail === undefined ? 'missing: the English step has a detail' : 'the English step has no detail');
    }
    return { title: z.title, kind: r.kind, commands: r.commands, detail: z.detail };
  });
  const items = (name: 'verify' | 'prevent', list: Array<string | null>, english: string[]): string[] =>
    list.map((item, i) => {
      const source = english[i] ?? '';
      if (item === null) return source;
      if (!item.startsWith('#')) return item;
      const split = splitShellComment(source);
      if (split === undefined) return fail([name, i], `"# …" replaces the comment of a command, but the English item has none: ${JSON.stringify(source.slice(0, 80))}`);
      return `${split.code}${item}`;
    });
  for (const [name, values] of Object.entries(zh.set)) {
    for (const value of Object.keys(values)) {
      if (!spec.match.some((m) => m.set?.[name] === value)) fail(['set', name], `no pattern sets ${name} to ${JSON.stringify(value.slice(0, 80))}; the keys are the English values of set:`);
    }
  }
  return {
    title: zh.title,
    description: zh.description,
    summary: zh.summary,
    diagnosis: zh.diagnosis,
    remediation,
    verify: items('verify', zh.verify, en.verify),
    prevent: items('prevent', zh.prevent, en.prevent),
    ...(Object.keys(zh.set).length > 0 ? { setValues: zh.set } : {}),
  };
}

/** Run `check` over every text of one language (`prefix` names the block in messages). */
function checkTexts(texts: RuleTexts, prefix: string[], check: (source: string, p: Array<string | number>, kind: PasteKind | undefined) => void): void {
  if (texts.summary !== undefined) check(texts.summary, [...prefix, 'summary'], undefined);
  check(texts.diagnosis, [...prefix, 'diagnosis'], undefined);
  texts.remediation.forEach((r, i) => {
    check(r.title, [...prefix, 'remediation', i, 'title'], undefined);
    if (r.detail !== undefined) check(r.detail, [...prefix, 'remediation', i, 'detail'], 'detail');
  });
  texts.verify.forEach((v, i) => check(v, [...prefix, 'verify', i], 'shell'));
  texts.prevent.forEach((v, i) => check(v, [...prefix, 'prevent', i], 'shell'));
}

/** Line of the YAML node at `p` (or its nearest existing parent). */
function lineOf(doc: Document, counter: LineCounterType, p: Array<string | number>): number | undefined {
  const { isNode } = yamlLib();
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** The first schema issue as a RuleError at the offending key's own line. */
function schemaError(issues: SchemaIssue[], file: string, doc: Document, counter: LineCounterType): RuleError {
  const issue = issues[0] ?? { code: 'custom', path: [], message: 'invalid rule' };
  const { ruleSchema, patternSchema, remediationSchema } = schemas();
  const shapes = { rule: ruleSchema.shape, pattern: patternSchema.shape, remediation: remediationSchema.shape };
  const placed = placeIssue(issue, doc, counter, (p) => lineOf(doc, counter, p), (p) => knownKeysAt(p, shapes));
  return new RuleError(file, placed.line, placed.message);
}
