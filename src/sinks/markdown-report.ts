// Markdown report sink: `summary.md` plus one `incidents/<id>.md` per incident, rendered from the
// Handlebars templates in `reports/` (users may point at their own copy with `templatesDir`).
// Handlebars runs with `noEscape` because its HTML escaping is wrong for Markdown; all escaping is
// done by the helpers registered below (see markdown-escape.ts), and the view model keeps every
// log- or rule-derived string raw so the template decides how it is quoted.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { AnalysisResult, Lang } from '../model.js';
import { LANGS } from '../model.js';
import { describeErrno, errnoCode, OutputError } from '../errors.js';
import { isMessageId, t, type MessageParams } from './messages.js';
import { cell, code, fence, fenceStep, inline, prose } from './markdown-escape.js';
import type { FenceState } from './markdown-escape.js';
import { formatCount, formatDuration, formatTime, plural } from './report-format.js';
import type { IncidentView, SummaryView, ToolInfo } from './report-view.js';
import { buildViews } from './report-view.js';

export interface RenderOptions {
  /** Folder holding `summary.md.hbs` and `incident.md.hbs`; defaults to the package's `reports/`. */
  templatesDir?: string;
  /** Shown as the report's generation time; defaults to now. Pass it for reproducible output. */
  generatedAt?: Date;
  tool?: ToolInfo;
  /** Language of the fixed texts (the rule texts come translated in the incidents). Default en. */
  lang?: Lang;
  /** Render the pages of these incidents only (watch mode rewrites changed incidents); the summary lists all. */
  only?: ReadonlySet<string>;
}

export interface RenderedReports {
  summary: string;
  /** `fileName` is relative to `incidents/`; the summary links to `incidents/<fileName>`. */
  incidents: Array<{ id: string; fileName: string; markdown: string }>;
}

/** A template failed to load or render; the message names the file. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

// Two levels below the package root both as src/sinks/ (vitest) and dist/sinks/ (built).
const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../reports/', import.meta.url));

interface Templates {
  summary: Handlebars.TemplateDelegate<SummaryView>;
  incident: Handlebars.TemplateDelegate<IncidentView>;
}

const cache = new Map<string, Templates>();

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(toText).join(', ');
  return '';
}

function toNumber(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : fallback;
}

function isHelperOptions(value: unknown): value is { hash: object } {
  return typeof value === 'object' && value !== null && 'hash' in value && typeof value.hash === 'object' && value.hash !== null;
}

/** Handlebars passes its options object last; split it from the positional parameters. */
function helper(fn: (params: unknown[], hash: Map<string, unknown>) => string): (...args: unknown[]) => string {
  return (...args) => {
    const last = args[args.length - 1];
    if (isHelperOptions(last)) return fn(args.slice(0, -1), new Map(Object.entries(last.hash)));
    return fn(args, new Map());
  };
}

/** The report language a template is rendered in: the view's `lang`. */
function langOf(options: unknown): Lang {
  if (typeof options !== 'object' || options === null || !('data' in options)) return 'en';
  const data = options.data;
  if (typeof data !== 'object' || data === null || !('root' in data)) return 'en';
  const root = data.root;
  const lang = typeof root === 'object' && root !== null && 'lang' in root ? root.lang : undefined;
  return LANGS.find((l) => l === lang) ?? 'en';
}

function createHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  const helpers: Record<string, (params: unknown[], hash: Map<string, unknown>) => string> = {
    /** {{inline value}}: text in a sentence. */
    inline: ([v], h) => inline(toText(v), toNumber(h.get('max'), 300)),
    /** {{cell value}}: a table cell (never empty, never more than one line). */
    cell: ([v], h) => cell(toText(v), toNumber(h.get('max'), 80)),
    /** {{code value}} / {{code value table=true}}: an inline code span. */
    code: ([v], h) => code(toText(v), { inTable: h.get('table') === true, max: toNumber(h.get('max'), 200) }),
    /** {{prose text indent="   "}}: rule-authored Markdown, defused. */
    prose: ([v], h) => prose(toText(v), { indent: toText(h.get('indent')) }),
    /** {{plural n "event"}} / {{plural n "match" "matches"}}. */
    plural: ([n, singular, pluralForm]) =>
      typeof pluralForm === 'string'
        ? plural(toNumber(n, 0), toText(singular), pluralForm)
        : plural(toNumber(n, 0), toText(singular)),
    // Named fmt* so they never shadow a data field of the same name ({{count}} would call a helper);
    // fmtTime and fmtDuration (language-dependent) are registered below.
    fmtCount: ([n]) => formatCount(toNumber(n, 0)),
  };
  for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, helper(fn));
  /**
   * {{t "message.id" name=value}}: a fixed text in the report's language (messages.ts). Values
   * are inserted as given: pass them through an escaping helper first, e.g. name=(inline x).
   */
  hb.registerHelper('t', (...args: unknown[]) => {
    const options = args[args.length - 1];
    const id = args[0];
    if (typeof id !== 'string' || !isMessageId(id)) throw new TemplateError(`unknown message id ${JSON.stringify(id)}`);
    const params: MessageParams = {};
    if (isHelperOptions(options)) {
      for (const [k, v] of Object.entries(options.hash)) params[k] = typeof v === 'number' ? v : toText(v);
    }
    return t(langOf(options), id, params);
  });
  /** {{where scope}}: ` (`scope`)` (full-width in Chinese), or nothing without a scope. */
  hb.registerHelper('where', (value: unknown, options: unknown) => (toText(value) === '' ? '' : t(langOf(options), 'paren', { text: code(toText(value)) })));
  /** {{effectsList effects}}: `🔴 [a](…) in api, 🟠 [b](…) and …` in the report's language. */
  hb.registerHelper('effectsList', (value: unknown, options: unknown) => {
    const lang = langOf(options);
    const items = (Array.isArray(value) ? value : []).map((e: unknown) => {
      if (typeof e !== 'object' || e === null) return '';
      const mark = 'mark' in e ? toText(e.mark) : '';
      const link = 'linkMd' in e ? toText(e.linkMd) : '';
      const services = 'services' in e ? toText(e.services) : '';
      return `${mark} ${link}${services === '' ? '' : t(lang, 'summary.inServices', { services: inline(services) })}`;
    });
    if (items.length <= 1) return items.join('');
    return `${items.slice(0, -1).join(t(lang, 'list.sep'))}${t(lang, 'summary.effectsAnd')}${items[items.length - 1] ?? ''}`;
  });
  /** {{fence text "lang"}} with the note after a cut block in the report's language. */
  hb.registerHelper('fence', (...args: unknown[]) => {
    const options = args[args.length - 1];
    const h = new Map(isHelperOptions(options) ? Object.entries(options.hash) : []);
    const lang = langOf(options);
    return fence(toText(args[0]), {
      lang: toText(args.length > 2 ? args[1] : ''),
      maxLines: toNumber(h.get('maxLines'), 40),
      maxChars: toNumber(h.get('maxChars'), 4096),
      indent: toText(h.get('indent')),
      whole: h.get('whole') === true,
      omittedNote: (n) => t(lang, 'fence.omitted', { n }),
    });
  });
  /** {{concat a " " b}}: joined text (for a message parameter made of several safe parts). */
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(toText).join(''));
  /** {{dur duration}} / {{which when}}: the " over 3m" / ", which started 2s earlier" fragments, or nothing. */
  hb.registerHelper('dur', (value: unknown, options: unknown) => (toText(value) === '' ? '' : t(langOf(options), 'incident.over', { duration: toText(value) })));
  hb.registerHelper('which', (value: unknown, options: unknown) => (toText(value) === '' ? '' : t(langOf(options), 'incident.which', { when: toText(value) })));
  /** {{svc services}}: ` in api, web` (`（api, web）` in Chinese), or nothing when there are none. */
  hb.registerHelper('svc', (value: unknown, options: unknown) => {
    const text = toText(value);
    return text === '' ? '' : t(langOf(options), 'summary.inServices', { services: inline(text) });
  });
  /** {{fmtDuration ms}} in the report's language. */
  hb.registerHelper('fmtDuration', (ms: unknown, options: unknown) => formatDuration(toNumber(ms, 0), langOf(options)));
  hb.registerHelper('fmtTime', (v: unknown, options: unknown) => formatTime(toText(v), langOf(options)));
  return hb;
}

function loadTemplates(dir: string): Templates {
  const cached = cache.get(dir);
  if (cached !== undefined) return cached;
  const hb = createHandlebars();
  const load = (file: string): string => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      throw new TemplateError(`cannot read report template ${join(dir, file)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  // strict: a misspelt field in a template throws instead of printing nothing.
  const compileOptions = { noEscape: true, strict: true };
  const templates: Templates = {
    summary: hb.compile<SummaryView>(load('summary.md.hbs'), compileOptions),
    incident: hb.compile<IncidentView>(load('incident.md.hbs'), compileOptions),
  };
  cache.set(dir, templates);
  return templates;
}

function run<T>(template: Handlebars.TemplateDelegate<T>, view: T, file: string): string {
  try {
    return tidy(template(view));
  } catch (err) {
    throw new TemplateError(`report template ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Collapse runs of blank lines and trailing spaces left by template blocks, outside code blocks
 * only: evidence inside a fence is shown exactly as logged.
 */
export function tidy(markdown: string): string {
  const out: string[] = [];
  let state: FenceState | null = null;
  for (const raw of markdown.split('\n')) {
    const inside = state !== null;
    // Fences inside list items are indented or follow the marker (`- ```bash`).
    state = fenceStep(state === null ? raw.trimStart().replace(/^[-*+] /, '') : raw.trimStart(), state);
    if (inside) {
      out.push(raw);
      continue;
    }
    const line = raw.trimEnd();
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

/** Render the summary and one page per incident. Pure apart from reading the templates once per folder. */
export function renderReports(result: AnalysisResult, options: RenderOptions = {}): RenderedReports {
  const dir = resolve(options.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  const templates = loadTemplates(dir);
  const generatedAt = options.generatedAt ?? new Date();
  const tool = options.tool ?? { name: 'incident-analyser', version: '' };
  const views = buildViews(result, generatedAt, tool, options.lang ?? 'en');
  return {
    summary: run(templates.summary, views.summary, join(dir, 'summary.md.hbs')),
    incidents: views.incidents.filter(({ id }) => !options.only || options.only.has(id)).map(({ id, fileName, view }) => ({
      id,
      fileName,
      markdown: run(templates.incident, view, join(dir, 'incident.md.hbs')),
    })),
  };
}

/** Permissions of a report that quotes the given log files (see RenderOptions.fileMode). */
export type FileModeOf = (quotedFiles: readonly string[]) => number;

export interface WriteOptions extends RenderOptions {
  /**
   * The mode a report quoting these files is created with (before the umask): the caller knows
   * where the logs live. Default 0o666, i.e. the umask alone decides.
   */
  fileMode?: FileModeOf;
}

interface Pending {
  target: string;
  tmp: string;
  content: string;
  mode: number;
}

/**
 * Write `outDir/summary.md` and `outDir/incidents/<id>.md` as one set: every page goes to a temp
 * file next to its target first (written and flushed), and only when all of them are on disk are
 * they renamed into place, incident pages first and the summary last, so every link in a summary
 * a reader can open already resolves. A full disk or a folder we may not write fails before any
 * rename: the reports already there stay as they were and no temp file is left behind. Pages of
 * incidents from earlier runs are left alone. Returns the written paths, summary first.
 * Failures a user can cause throw OutputError with one line saying what was (not) written.
 */
export async function writeReports(result: AnalysisResult, outDir: string, options: WriteOptions = {}): Promise<string[]> {
  const rendered = renderReports(result, options);
  const modeOf = options.fileMode ?? ((): number => 0o666);
  const where = `cannot write reports to ${outDir}`;
  try {
    if (!(await stat(outDir)).isDirectory()) throw new OutputError(`${where}: it is not a folder`);
  } catch (err) {
    if (err instanceof OutputError) throw err;
    if (errnoCode(err) !== 'ENOENT') throw new OutputError(`${where}: ${describeErrno(err)}`, { cause: err });
  }
  const incidentsDir = join(outDir, 'incidents');
  try {
    await mkdir(incidentsDir, { recursive: true });
  } catch (err) {
    throw new OutputError(`${where}: ${describeErrno(err)}`, { cause: err });
  }
  const byId = new Map(result.incidents.map((i) => [i.id, i]));
  const pending: Pending[] = rendered.incidents.map((page) => {
    const target = join(incidentsDir, page.fileName);
    return { target, tmp: tempName(target), content: page.markdown, mode: modeOf(byId.get(page.id)?.files ?? []) };
  });
  const summaryPath = join(outDir, 'summary.md');
  pending.push({ target: summaryPath, tmp: tempName(summaryPath), content: rendered.summary, mode: modeOf(result.incidents.flatMap((i) => i.files)) });

  const created: string[] = [];
  try {
    for (const p of pending) {
      created.push(p.tmp);
      await writeSynced(p.tmp, p.content, p.mode);
    }
  } catch (err) {
    await Promise.all(created.map((t) => rm(t, { force: true })));
    throw new OutputError(`${where}: ${describeErrno(err)}; nothing was written (reports already there are unchanged)`, { cause: err });
  }
  let renamed = 0;
  try {
    for (const p of pending) {
      await rename(p.tmp, p.target);
      renamed++;
    }
  } catch (err) {
    await Promise.all(pending.slice(renamed).map((p) => rm(p.tmp, { force: true })));
    const pages = pending.length - 1;
    throw new OutputError(`${where}: ${describeErrno(err)}; only ${Math.min(renamed, pages)} of ${pages} incident page(s) were replaced and summary.md was not`, { cause: err });
  }
  await syncDir(incidentsDir);
  await syncDir(outDir);
  return [summaryPath, ...pending.slice(0, -1).map((p) => p.target)];
}

function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function writeSynced(file: string, content: string, mode: number): Promise<void> {
  const handle = await open(file, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Make the renames durable (best effort: some file systems refuse fsync on a folder). */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // nothing to do: the renames are in place, only their durability across a power cut is not proven
  }
}
