// Render a rule's Handlebars texts (summary, diagnosis, remediation, verify, prevent) for one
// incident. Runs once per incident after correlation, never per line: templating stays off the hot
// path. Captures reach the templates as typed LogValues; in the texts a person may paste they
// appear only through `{{arg x}}` (one shell word) and `{{js x}}` (a JS string literal), which the
// rule loader enforces. A value that does not fit its type is refused here: the command is shown
// commented out with a placeholder, and a note says why. The rule author's own text is untouched.
import { createRequire } from 'node:module';
import type HandlebarsNamespace from 'handlebars';
import type { Incident, Lang, Remediation } from '../model.js';
import type { CaptureType } from '../rules/capture-types.js';
import type { CompiledRule, RuleTexts } from '../rules/types.js';
import { describeCapture, jsString, LogValue, placeholder, refusal, shellWord, showValue } from './shell-values.js';
import { evidenceValues } from './evidence-values.js';
import { t } from './messages.js';

const require = createRequire(import.meta.url);

/** Around a refused value's placeholder while a text is rendered, so its line can be commented out. */
const REFUSED_OPEN = '\uE000';
const REFUSED_CLOSE = '\uE001';

interface Refused {
  value: LogValue | undefined;
  reason: string;
}

/** Language of the text being rendered (for the notes on refused values). */
let noteLang: Lang = 'en';

/** Refusals of the text being rendered (rendering is synchronous, one text at a time). */
let refused: Refused[] = [];

function check(value: unknown): { ok: string } | { placeholder: string } | { number: string } {
  if (value instanceof LogValue) {
    const reason = refusal(value.type, value.raw);
    if (reason === undefined) return { ok: value.raw };
    refused.push({ value, reason });
    return { placeholder: placeholder(value.type) };
  }
  if (typeof value === 'string' && value !== '') return { ok: value };
  if (typeof value === 'number') return { number: String(value) };
  refused.push({ value: undefined, reason: 'was not found in the log' });
  return { placeholder: '<value>' };
}

let instance: typeof HandlebarsNamespace | undefined;
const compiled = new Map<string, HandlebarsNamespace.TemplateDelegate>();

function handlebars(): typeof HandlebarsNamespace {
  if (instance) return instance;
  const hb: typeof HandlebarsNamespace = require('handlebars');
  instance = hb.create();
  instance.registerHelper('arg', (value: unknown) => {
    const r = check(value);
    if ('ok' in r) return shellWord(r.ok);
    if ('number' in r) return r.number;
    return `${REFUSED_OPEN}${r.placeholder}${REFUSED_CLOSE}`;
  });
  instance.registerHelper('js', (value: unknown) => {
    const r = check(value);
    if ('number' in r) return r.number;
    return jsString('ok' in r ? r.ok : r.placeholder);
  });
  return instance;
}

function render(source: string, ctx: object): string {
  let template = compiled.get(source);
  if (!template) {
    template = handlebars().compile(source, { noEscape: true, strict: false });
    compiled.set(source, template);
  }
  return template(ctx);
}

function typed(rule: CompiledRule, name: string, raw: string, type?: CaptureType): LogValue | string {
  if (rule.captures.constants.includes(name)) return raw;
  if (raw === '') return raw;
  return new LogValue(name, type ?? rule.captures.types[name] ?? 'text', raw);
}

function context(incident: Incident, rule: CompiledRule, all: Incident[], texts: RuleTexts = rule.texts.en): Record<string, unknown> {
  // a `set:` value in the text's language (the rule author's words, never a log's)
  const said = (k: string, v: string): string => texts.setValues?.[k]?.[v] ?? v;
  const captures: Record<string, LogValue | string> = {};
  for (const [k, v] of Object.entries(incident.captures)) captures[k] = typed(rule, k, said(k, v));
  const values: Record<string, Array<LogValue | string>> = {};
  for (const [k, list] of Object.entries(incident.captureValues)) values[k] = list.map((v) => typed(rule, k, said(k, v)));
  const service = incident.services[0];
  return {
    ...evidenceValues(incident, all),
    ...captures,
    captures,
    values,
    count: incident.count,
    services: typed(rule, 'services', incident.services.join(', '), 'text'),
    service: service === undefined ? '' : typed(rule, 'service', service),
    files: typed(rule, 'files', incident.files.join(', '), 'text'),
    firstSeen: typed(rule, 'firstSeen', incident.firstSeen, 'time'),
    lastSeen: typed(rule, 'lastSeen', incident.lastSeen, 'time'),
    rule: incident.rule,
    title: incident.title,
  };
}

function clean(text: string): string {
  return text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function unmark(text: string): string {
  return text.replaceAll(REFUSED_OPEN, '').replaceAll(REFUSED_CLOSE, '');
}

function note(r: Refused): string {
  if (noteLang === 'zh') return noteZh(r);
  if (r.value === undefined) return t('en', 'note.missing', { reason: r.reason });
  const what = describeCapture(r.value);
  return t('en', 'note.refused', {
    what: `${what.charAt(0).toUpperCase()}${what.slice(1)}`,
    value: showValue(r.value.raw),
    reason: r.reason,
    placeholder: placeholder(r.value.type),
  });
}

const TYPE_ZH: Record<CaptureType, string> = {
  app: '应用名',
  port: '端口号',
  pid: '进程号',
  int: '整数',
  signal: '信号名',
  path: '文件路径',
  module: '模块名',
  host: '主机名或 IP',
  url: 'http(s) URL',
  word: '单个词',
  time: 'ISO 时间',
  text: '自由文本',
};

function noteZh(r: Refused): string {
  if (r.value === undefined) return t('zh', 'note.missing', { reason: '在日志里没有找到' });
  const v = r.value;
  const what = v.name === 'service' ? '应用名' : ` ${v.name} `;
  const reason = v.type === 'text' ? '是自由文本，从不放进命令' : `不是合法的${TYPE_ZH[v.type]}（过长、以 - 开头或含有引号、$ 等特殊字符）`;
  return t('zh', 'note.refused', { what, value: showValue(v.raw), reason, placeholder: placeholder(v.type) });
}

interface Rendered {
  text: string;
  notes: string[];
}

/** A shell text: when a value was refused, every line is commented out so pasting it runs nothing. */
function renderShell(source: string, ctx: object): Rendered {
  refused = [];
  const text = clean(render(source, ctx));
  const notes = [...new Set(refused.map(note))];
  refused = [];
  if (notes.length === 0) return { text: unmark(text), notes };
  return { text: unmark(text.split('\n').map((l) => (l.trim() === '' ? l : `# ${l}`)).join('\n')), notes };
}

/** Markdown with code: code lines and inline code spans holding a refused value are commented out. */
function renderDetail(source: string, ctx: object): Rendered {
  refused = [];
  const text = clean(render(source, ctx));
  const notes = [...new Set(refused.map(note))];
  refused = [];
  if (notes.length === 0) return { text: unmark(text), notes };
  let fence: string | undefined;
  const lines = text.split('\n').map((line) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (open !== undefined) {
      if (fence === undefined) fence = open;
      else if (open.startsWith(fence)) fence = undefined;
      return line;
    }
    if (!line.includes(REFUSED_OPEN)) return line;
    if (fence !== undefined || /^(?: {4}|\t)/.test(line)) return line.replace(/^(\s*)/, '$1# ');
    return line.replace(/(`+)((?:(?!\1).)*?\uE000(?:(?!\1).)*?)\1/g, '$1# $2$1');
  });
  return { text: unmark(lines.join('\n')), notes };
}

/** Verify and prevent items: a refused command is kept, commented out, followed by its note. */
function renderItems(sources: string[], ctx: object): string[] {
  const out: string[] = [];
  for (const source of sources) {
    const r = renderShell(source, ctx);
    if (r.text === '') continue;
    out.push(r.text);
    for (const n of r.notes) if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** The texts of `rule` in `lang`; English for a rule without that language. */
export function ruleTexts(rule: CompiledRule, lang: Lang): RuleTexts {
  return lang === 'zh' ? (rule.texts.zh ?? rule.texts.en) : rule.texts.en;
}

/** `all`: the run's incidents, so a text can name what its linked causes are (services). */
export function renderIncidentText(incident: Incident, rule: CompiledRule, all: Incident[] = [], lang: Lang = 'en'): Incident {
  const texts = ruleTexts(rule, lang);
  const ctx = context(incident, rule, all, texts);
  noteLang = texts === rule.texts.en ? 'en' : lang;
  try {
    const summary = texts.summary
      ? clean(render(texts.summary, ctx))
      : t(noteLang, 'rule.defaultSummary', { n: incident.count, title: texts.title, services: incident.services.join(', ') });
    const remediations: Remediation[] = texts.remediation.map((r) => {
      const notes: string[] = [];
      const commands: string[] = [];
      for (const c of r.commands) {
        const out = renderShell(c, ctx);
        if (out.text !== '') commands.push(out.text);
        notes.push(...out.notes);
      }
      const detail = r.detail === undefined ? undefined : renderDetail(r.detail, ctx);
      if (detail) notes.push(...detail.notes);
      const unique = [...new Set(notes)];
      return {
        title: clean(render(r.title, ctx)),
        kind: r.kind,
        commands,
        detail: detail?.text,
        ...(unique.length > 0 ? { notes: unique } : {}),
      };
    });
    return {
      ...incident,
      title: texts.title,
      summary,
      rootCause: clean(render(texts.diagnosis, ctx)),
      remediations,
      verify: renderItems(texts.verify, ctx),
      prevent: renderItems(texts.prevent, ctx),
    };
  } finally {
    noteLang = 'en';
  }
}

/**
 * Every incident with its rule's texts in `lang`; an incident whose rule is gone keeps what it
 * had. Links take the linked rule's title in `lang` too.
 */
export function renderIncidentTexts(incidents: Incident[], rules: CompiledRule[], lang: Lang = 'en'): Incident[] {
  const byId = new Map(rules.map((r) => [r.spec.id, r]));
  return incidents.map((i) => {
    const rule = byId.get(i.rule);
    const rendered = rule ? renderIncidentText(i, rule, incidents, lang) : i;
    if (lang === 'en') return rendered;
    return {
      ...rendered,
      links: rendered.links.map((l) => {
        const linked = byId.get(l.rule);
        return linked ? { ...l, title: ruleTexts(linked, lang).title } : l;
      }),
    };
  });
}
