// Turns an AnalysisResult into the plain objects the report templates render.
// Conventions, so that a template cannot forget to escape:
// - strings that come from logs or rules are kept raw here and must go through a helper in the
//   template (`inline`, `cell`, `code`, `fence`, `prose`);
// - strings this module composes from numbers and times (formatted times, counts, headlines) and
//   fields ending in `Md` (already escaped Markdown) are safe to print as they are.
import type { AnalysisResult, Incident, IncidentLink, Lang, Remediation, SkippedInput } from '../model.js';
import { SEVERITIES, severityRank } from '../model.js';
import { inline, safeFileName, shellQuote } from './markdown-escape.js';
import {
  formatBytes,
  formatClock,
  formatCount,
  formatDate,
  formatDuration,
  formatElapsed,
  formatRange,
  formatTime,
  parseTime,
  plural,
  severityMark,
} from './report-format.js';
import type { ListItem } from './report-commands.js';
import { listItems } from './report-commands.js';
import type { Timeline } from './report-timeline.js';
import { buildTimeline, compareIncidents } from './report-timeline.js';
import { rollUp, scopeLabels, type RecurringView, type RollupRow } from './report-rollup.js';
import { severityName, t } from './messages.js';

export interface ToolInfo {
  name: string;
  version: string;
}

export interface IncidentRef {
  id: string;
  title: string;
  rule: string;
  /** Relative link to the incident's page, or null when the incident is not in this report. */
  href: string | null;
  severity: string;
  /** The severity's name in the report's language. */
  severityText: string;
  mark: string;
  /** Services of the incident, joined (raw), or '' for a link target outside this report. */
  services: string;
  /** `[title](href)` (or the title alone when there is no page), escaped: print as is. */
  linkMd: string;
}

export interface RemediationView {
  number: number;
  title: string;
  /** `code change`, `configuration change`, `investigation`; null for plain commands. */
  kind: string | null;
  detail: string | null;
  /** Commands joined one per line (raw; render with `fence ... whole=true`), or null. */
  commands: string | null;
  /** Why a step shows a placeholder instead of a log value (raw; render with `inline`). */
  notes: string[];
}

export interface CauseView {
  cause: IncidentRef;
  /** What it most likely caused (one line per cause: three duplicate servers are three lines, not six). */
  effects: IncidentRef[];
  /** The scope both come from, when the report has several (raw); '' otherwise. */
  where: string;
}

export interface SummaryView {
  /** Language of the fixed texts (the templates' `t` helper reads it). */
  lang: Lang;
  generatedAt: string;
  tool: string;
  /** The store the incidents were read from (`incidents list`, `report`): no logs were read now. */
  store: string | null;
  run: {
    files: string;
    lines: string;
    bytes: string;
    events: string;
    matches: string;
    elapsed: string;
    range: string | null;
    span: string | null;
  };
  inputs: string[];
  inputsMore: number;
  approximateTimes: boolean;
  /** Some incident in the table has estimated times (marked ≈). */
  approxIncidents: boolean;
  skipped: SkippedInput[];
  skippedCount: number;
  skippedMore: number;
  truncatedLines: string | null;
  hasWarnings: boolean;
  hasIncidents: boolean;
  headline: string;
  /** What was checked, for a report with no incidents. */
  checked: string;
  /** One row per rule, service and scope: repeats are rolled up (see report-rollup.ts). */
  incidents: Array<RollupRow<IncidentRef>>;
  /** Some row stands for several incidents. */
  rolledUp: boolean;
  recurring: RecurringView[];
  /** The scopes (boxes, scenarios) incidents came from, when there are several; [] for one. */
  scopes: string[];
  /** How many scopes were read apart ('' for one). */
  scopesRead: string;
  top: { ref: IncidentRef; services: string; firstSeen: string; where: string; stillOpen: boolean } | null;
  timeline: Timeline;
  /** Several scopes: one chart each, since their times can be months apart. */
  scopeTimelines: Array<{ scope: string; timeline: Timeline }>;
  causes: CauseView[];
  hasMultiple: boolean;
  firstSteps: {
    incident: IncidentRef;
    /** Its scope, when the report has several (raw). */
    where: string;
    /** The incident this one most likely causes, when the first step fixes a cause. */
    fixes: IncidentRef | null;
    remediation: RemediationView | null;
    more: number;
  } | null;
}

export interface IncidentView {
  lang: Lang;
  ref: IncidentRef;
  /** The scope (box, scenario) it belongs to, when its run had several (raw), else null. */
  where: string | null;
  severityLabel: string;
  status: string;
  services: string;
  files: string[];
  filesMore: number;
  firstSeen: string;
  lastSeen: string;
  duration: string | null;
  count: string;
  countValue: number;
  events: string;
  approx: boolean;
  summary: string | null;
  /** `long` values (paths, messages) read better one per line. */
  captureValues: Array<{ name: string; values: string[]; more: number; long: boolean }>;
  evidence: Array<{ location: string; time: string | null; text: string }>;
  evidenceNote: string;
  rootCause: string | null;
  causedBy: Array<{ ref: IncidentRef; when: string }>;
  causes: IncidentRef[];
  remediations: RemediationView[];
  verify: ListItem[];
  recheck: string | null;
  prevent: ListItem[];
  generatedAt: string;
  tool: string;
}

function kindLabel(kind: Remediation['kind'], lang: Lang): string | null {
  return kind === 'command' ? null : t(lang, `kind.${kind}`);
}

const MAX_LISTED = 10;

function blankToNull(text: string | undefined): string | null {
  return text === undefined || text.trim() === '' ? null : text;
}

function remediationView(r: Remediation, number: number, lang: Lang): RemediationView {
  const commands = r.commands.filter((c) => c.trim() !== '');
  return {
    number,
    title: r.title,
    kind: kindLabel(r.kind, lang),
    detail: blankToNull(r.detail),
    commands: commands.length > 0 ? commands.join('\n') : null,
    notes: r.notes ?? [],
  };
}

function toolText(tool: ToolInfo): string {
  return tool.version === '' ? tool.name : `${tool.name} ${tool.version}`;
}

/** Links between report pages: file names are unique and safe for a URL path. */
function assignFileNames(incidents: Incident[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const incident of incidents) {
    if (names.has(incident.id)) continue;
    const base = safeFileName(incident.id);
    let name = `${base}.md`;
    for (let n = 2; used.has(name.toLowerCase()); n += 1) name = `${base}-${n}.md`;
    used.add(name.toLowerCase());
    names.set(incident.id, name);
  }
  return names;
}

class Refs {
  private readonly byId = new Map<string, Incident>();
  constructor(
    incidents: Incident[],
    private readonly files: Map<string, string>,
    private readonly lang: Lang,
  ) {
    for (const incident of incidents) this.byId.set(incident.id, incident);
  }

  get(id: string): Incident | undefined {
    return this.byId.get(id);
  }

  /** A reference to an incident or a link target; `prefix` is the path from the page to incidents/. */
  ref(target: Incident | IncidentLink, prefix: string): IncidentRef {
    const incident = this.byId.get(target.id);
    const file = this.files.get(target.id);
    const severity = incident?.severity;
    const title = incident?.title ?? target.title;
    const href = file === undefined ? null : `${prefix}${file}`;
    return {
      id: target.id,
      title,
      rule: incident?.rule ?? target.rule,
      href,
      severity: severity ?? 'unknown',
      severityText: severity === undefined ? t(this.lang, 'time.unknownShort') : severityName(this.lang, severity),
      mark: severity === undefined ? '⚪' : severityMark(severity),
      services: incident?.services.join(', ') ?? '',
      linkMd: href === null ? inline(title, 120) : `[${inline(title, 120)}](${href})`,
    };
  }

  /** Every cause named by any incident's links, once, with the incidents it causes, as references from `prefix`. */
  causePairs(incidents: Incident[], prefix: string): CauseView[] {
    const byCause = new Map<string, CauseView & { seen: Set<string> }>();
    for (const incident of incidents) {
      for (const link of incident.links) {
        if (link.relation !== 'caused-by' && link.relation !== 'causes') continue;
        const [cause, effect] = link.relation === 'caused-by' ? [link, incident] : [incident, link];
        let view = byCause.get(cause.id);
        if (!view) byCause.set(cause.id, (view = { cause: this.ref(cause, prefix), effects: [], where: incident.scope ?? '', seen: new Set() }));
        if (view.seen.has(effect.id)) continue;
        view.seen.add(effect.id);
        view.effects.push(this.ref(effect, prefix));
      }
    }
    return [...byCause.values()].map(({ cause, effects, where }) => ({ cause, effects, where }));
  }

  /** Follow caused-by links within this report to the earliest cause (cycle-safe). */
  rootOf(incident: Incident): Incident {
    const seen = new Set<string>([incident.id]);
    let current = incident;
    for (;;) {
      const causes = current.links
        .filter((l) => l.relation === 'caused-by')
        .map((l) => this.byId.get(l.id))
        .filter((i): i is Incident => i !== undefined && !seen.has(i.id))
        .sort(compareIncidents);
      const next = causes[0];
      if (next === undefined) return current;
      seen.add(next.id);
      current = next;
    }
  }
}

/**
 * The span the report covers: the logs' own timestamps, widened to every incident's times, so the
 * range never ends before an incident it lists (estimated times can fall after the last real one).
 */
function timeRange(result: AnalysisResult): { from: string | undefined; to: string | undefined } {
  const times = [result.stats.from, result.stats.to, ...result.incidents.flatMap((i) => [i.firstSeen, i.lastSeen])].map((t) => parseTime(t));
  const known = times.filter((t): t is number => t !== undefined);
  if (known.length === 0) return { from: undefined, to: undefined };
  return { from: new Date(Math.min(...known)).toISOString(), to: new Date(Math.max(...known)).toISOString() };
}

/** Where to start: the most severe open incident (earliest first); resolved ones only when none is open. */
function firstToFix(incidents: Incident[]): Incident | undefined {
  return incidents.find((i) => i.status === 'open') ?? incidents[0];
}

function headline(incidents: Incident[], lang: Lang): string {
  if (incidents.length === 0) return t(lang, 'summary.none');
  const parts = [...SEVERITIES].reverse().flatMap((severity) => {
    const n = incidents.filter((i) => i.severity === severity).length;
    return n > 0 ? [t(lang, 'count.severity', { n, severity: severityName(lang, severity) })] : [];
  });
  return t(lang, 'summary.headline', { incidents: t(lang, 'count.incidents', { n: incidents.length }), parts: parts.join(t(lang, 'list.sep')) });
}

/** `16:43:12` when it is the same day as `sameDayAs`, else `2026-02-08 16:43:12`. */
function shortTime(iso: string, lang: Lang, sameDayAs?: string): string {
  const ms = parseTime(iso);
  const first = parseTime(sameDayAs);
  if (ms === undefined) return t(lang, 'time.unknownShort');
  if (first !== undefined && formatDate(ms) === formatDate(first)) return formatClock(ms);
  return `${formatDate(ms)} ${formatClock(ms)}`;
}

function summaryView(result: AnalysisResult, refs: Refs, generatedAt: Date, tool: ToolInfo, lang: Lang): SummaryView {
  const { stats } = result;
  const incidents = [...result.incidents].sort(compareIncidents);
  const range = timeRange(result);
  const from = parseTime(range.from);
  const to = parseTime(range.to);
  const approximateTimes = stats.approximateTimes || incidents.some((i) => i.timeApprox);
  const skipped = stats.skipped.slice(0, MAX_LISTED);
  // the headline names what needs attention now: an open incident before a resolved one of any severity
  const top = incidents.find((i) => i.status === 'open') ?? incidents[0];
  const topOpenOfMany = top !== undefined && top.status === 'open' && incidents.some((i) => i.status !== 'open' && severityRank(i.severity) > severityRank(top.severity));

  const scopes = [...new Set(incidents.map((i) => i.scope ?? ''))].sort();
  const multiScope = scopes.length > 1;
  const labels = scopeLabels(scopes);
  const where = (i: Incident | undefined): string => (multiScope && i ? (labels.get(i.scope ?? '') ?? '') : '');
  const rollup = rollUp(incidents, (i) => refs.ref(i, 'incidents/'), (iso, sameDayAs) => shortTime(iso, lang, sameDayAs), labels);

  let firstSteps: SummaryView['firstSteps'] = null;
  const start = firstToFix(incidents);
  if (start !== undefined) {
    const root = refs.rootOf(start);
    const open = incidents.filter((i) => i.status === 'open');
    const withFix = [root, start, ...open, ...incidents].find((i) => i.remediations.length > 0);
    const chosen = withFix ?? start;
    const first = chosen.remediations[0];
    firstSteps = {
      incident: refs.ref(chosen, 'incidents/'),
      where: where(chosen),
      fixes: chosen.id !== start.id && chosen.id === root.id ? refs.ref(start, 'incidents/') : null,
      remediation: first === undefined ? null : remediationView(first, 1, lang),
      more: Math.max(0, chosen.remediations.length - 1),
    };
  }

  const matchesNote = stats.matches > 0 ? t(lang, 'summary.matchesBelow', { n: stats.matches }) : t(lang, 'summary.noMatch');
  return {
    lang,
    generatedAt: formatTime(generatedAt.toISOString(), lang),
    tool: toolText(tool),
    store: stats.store ?? null,
    run: {
      files: stats.empty > 0 ? `${t(lang, 'count.files', { n: stats.files })}${t(lang, 'count.empty', { n: stats.empty })}` : t(lang, 'count.files', { n: stats.files }),
      lines: t(lang, 'count.lines', { n: stats.lines }),
      bytes: formatBytes(stats.bytes),
      events: t(lang, 'count.events', { n: stats.events }),
      matches: t(lang, 'count.ruleMatches', { n: stats.matches }),
      elapsed: formatElapsed(stats.durationMs, lang),
      range: from === undefined && to === undefined ? null : formatRange(range.from, range.to, lang),
      span: from !== undefined && to !== undefined && to > from ? formatDuration(to - from, lang) : null,
    },
    inputs: result.files.slice(0, MAX_LISTED),
    inputsMore: Math.max(0, result.files.length - MAX_LISTED),
    approximateTimes,
    approxIncidents: incidents.some((i) => i.timeApprox),
    skipped,
    skippedCount: stats.skipped.length,
    skippedMore: Math.max(0, stats.skipped.length - skipped.length),
    truncatedLines: stats.truncatedLines > 0 ? t(lang, 'summary.truncated', { n: stats.truncatedLines }) : null,
    hasWarnings: approximateTimes || stats.skipped.length > 0 || stats.truncatedLines > 0,
    hasIncidents: incidents.length > 0,
    headline: headline(incidents, lang),
    checked:
      stats.store !== undefined
        ? t(lang, 'summary.noStored')
        : t(lang, 'summary.checked', { lines: t(lang, 'count.lines', { n: stats.lines }), files: t(lang, 'count.files', { n: stats.files }), matches: matchesNote }),
    incidents: rollup.rows,
    rolledUp: rollup.recurring.length > 0,
    recurring: rollup.recurring,
    scopes: multiScope ? scopes.map((s) => labels.get(s) ?? s) : [],
    scopesRead: (stats.scopes?.length ?? 0) > 1 || multiScope ? t(lang, 'count.scopes', { n: Math.max(stats.scopes?.length ?? 0, scopes.length) }) : '',
    top:
      top === undefined
        ? null
        : { ref: refs.ref(top, 'incidents/'), services: top.services.join(', '), firstSeen: formatTime(top.firstSeen, lang), where: where(top), stillOpen: topOpenOfMany },
    timeline: multiScope ? buildTimeline([], undefined, lang) : buildTimeline(incidents, undefined, lang),
    scopeTimelines: multiScope
      ? scopes.map((scope) => ({ scope: labels.get(scope) ?? scope, timeline: buildTimeline(incidents.filter((i) => (i.scope ?? '') === scope), undefined, lang) }))
      : [],
    causes: refs.causePairs(incidents, 'incidents/').map((c) => ({ ...c, where: multiScope ? (labels.get(c.where) ?? c.where) : '' })),
    hasMultiple: incidents.length > 1,
    firstSteps,
  };
}

function relativeStart(cause: Incident | undefined, incident: Incident, lang: Lang): string {
  const a = parseTime(cause?.firstSeen);
  const b = parseTime(incident.firstSeen);
  if (a === undefined || b === undefined) return '';
  // a process snapshot without a date is dated at the end of the logs: its "start" says nothing
  if (cause?.timeApprox) return t(lang, 'incident.estimatedCause');
  if (Math.abs(b - a) < 1000) return t(lang, 'incident.sameTime');
  return b > a ? t(lang, 'incident.earlier', { duration: formatDuration(b - a, lang) }) : t(lang, 'incident.later', { duration: formatDuration(a - b, lang) });
}

function incidentView(incident: Incident, refs: Refs, generatedAt: Date, tool: ToolInfo, lang: Lang): IncidentView {
  const first = parseTime(incident.firstSeen);
  const last = parseTime(incident.lastSeen);
  const total = Math.max(incident.count, incident.evidence.length);
  const shown = incident.evidence.length;
  let evidenceNote: string;
  if (shown === 0) evidenceNote = t(lang, 'incident.noEvidence');
  else if (total > shown) evidenceNote = t(lang, 'incident.showing', { n: total, shown });
  else evidenceNote = shown === 1 ? t(lang, 'incident.theOne') : t(lang, 'incident.all', { n: shown });

  const since = last === undefined ? undefined : new Date(Math.floor(last / 1000) * 1000 + 1000).toISOString().replace('.000Z', 'Z');
  const recheck =
    incident.timeApprox || since === undefined || incident.files.length === 0
      ? null
      : [
          'incident-analyser',
          'analyze',
          // a user rule's incident is only found again with the rules that found it
          ...(incident.rulePaths ?? []).map((p) => `--rules=${p}`),
          '--since',
          since,
          // file names from the logs' folders are data: never read as options
          '--',
          ...incident.files,
        ]
          .map(shellQuote)
          .join(' ');

  return {
    lang,
    ref: refs.ref(incident, ''),
    where: blankToNull(incident.scope),
    severityLabel: lang === 'en' ? incident.severity.toUpperCase() : severityName(lang, incident.severity),
    status: t(lang, `status.${incident.status}`),
    services: incident.services.join(', '),
    files: incident.files.slice(0, MAX_LISTED / 2),
    filesMore: Math.max(0, incident.files.length - MAX_LISTED / 2),
    firstSeen: formatTime(incident.firstSeen, lang),
    lastSeen: formatTime(incident.lastSeen, lang),
    duration: first !== undefined && last !== undefined && last - first >= 1000 ? formatDuration(last - first, lang) : null,
    count: formatCount(incident.count),
    countValue: incident.count,
    events: t(lang, 'count.matchedEvents', { n: incident.count }),
    approx: incident.timeApprox,
    summary: blankToNull(incident.summary),
    captureValues: Object.entries(incident.captureValues)
      // The service is in the facts table already.
      .filter(([name, values]) => values.length > 0 && name !== 'service')
      .map(([name, values]) => ({
        name,
        values: values.slice(0, MAX_LISTED),
        more: Math.max(0, values.length - MAX_LISTED),
        long: values.length > 1 && values.some((v) => v.length > 30),
      })),
    evidence: incident.evidence.map((e) => ({
      location: `${e.file}:${e.line}`,
      time: e.time === undefined ? null : formatTime(e.time, lang),
      text: e.text,
    })),
    evidenceNote,
    rootCause: blankToNull(incident.rootCause),
    causedBy: incident.links
      .filter((l) => l.relation === 'caused-by')
      .map((l) => ({ ref: refs.ref(l, ''), when: relativeStart(refs.get(l.id), incident, lang) })),
    causes: incident.links.filter((l) => l.relation === 'causes').map((l) => refs.ref(l, '')),
    remediations: incident.remediations.map((r, i) => remediationView(r, i + 1, lang)),
    verify: listItems(incident.verify),
    recheck,
    prevent: listItems(incident.prevent),
    generatedAt: formatTime(generatedAt.toISOString(), lang),
    tool: toolText(tool),
  };
}

export interface ReportViews {
  summary: SummaryView;
  incidents: Array<{ id: string; fileName: string; view: IncidentView }>;
}

/** Views for the summary and every incident page, in the order of `result.incidents`. */
export function buildViews(result: AnalysisResult, generatedAt: Date, tool: ToolInfo, lang: Lang = 'en'): ReportViews {
  const files = assignFileNames(result.incidents);
  const refs = new Refs(result.incidents, files, lang);
  return {
    summary: summaryView(result, refs, generatedAt, tool, lang),
    incidents: result.incidents.map((incident) => ({
      id: incident.id,
      fileName: files.get(incident.id) ?? `${safeFileName(incident.id)}.md`,
      view: incidentView(incident, refs, generatedAt, tool, lang),
    })),
  };
}
