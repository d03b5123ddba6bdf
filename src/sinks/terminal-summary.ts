// What `analyze` prints on a terminal when no --out and no --format were given: a readable
// summary (headline, the incidents most severe first with their one-line summary and likely
// cause, the first step to take with its commands), not the Markdown report, whose links point
// at files that were not written. Pipes still get Markdown (the documented default).
//
// It reads the same view as the Markdown summary (report-view.ts), so "what to do first" is the
// same choice in both. Log text is never passed to the terminal raw (text/terminal.ts).
import pc from 'picocolors';
import type { AnalysisResult, Incident, Lang } from '../model.js';
import { buildViews, type ToolInfo } from './report-view.js';
import { severityLabel } from './console-text.js';
import { t } from './messages.js';
import { formatRange, formatTime } from './report-format.js';
import { visibleLine } from '../text/terminal.js';

/** Incidents listed before "… and N more". */
const MAX_SHOWN = 8;
/** Commands of the first step shown. */
const MAX_COMMANDS = 6;

const PAINT = {
  critical: (s: string) => pc.bold(pc.red(s)),
  error: pc.red,
  warning: pc.yellow,
  info: pc.cyan,
} as const;

/** Log and rule text for a terminal: escape sequences and bidi controls shown, never obeyed. */
const plain = visibleLine;

/** The first sentence of a text, on one line, at most `max` characters (the terminal wraps it). */
function firstSentence(s: string, max: number): string {
  const line = oneLine(s, 10_000);
  const end = /[.。](?=\s|$)/.exec(line);
  return oneLine(end === null ? line : line.slice(0, end.index + 1), max);
}

function oneLine(s: string, max: number): string {
  const flat = plain(s.replace(/\s*\n\s*/g, ' ')).replace(/\s+/g, ' ').trim();
  // Markdown emphasis and code marks read as noise on a terminal
  const bare = flat.replace(/\*\*([^*]+)\*\*/g, '$1');
  const chars = Array.from(bare);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : bare;
}

export interface TerminalOptions {
  color: boolean;
  lang: Lang;
  tool: ToolInfo;
}

export function renderTerminalSummary(result: AnalysisResult, options: TerminalOptions): string {
  const { lang, color } = options;
  // titles and commands are never cut; a summary is its first sentence, which the terminal wraps
  const width = 240;
  const bold = (s: string): string => (color ? pc.bold(s) : s);
  const dim = (s: string): string => (color ? pc.dim(s) : s);
  const views = buildViews(result, new Date(), options.tool, lang);
  const summary = views.summary;
  const byId = new Map(result.incidents.map((i) => [i.id, i]));
  const out: string[] = [];

  const files = t(lang, 'count.files', { n: result.stats.files });
  if (!summary.hasIncidents) {
    out.push(t(lang, 'tty.nothing', { lines: t(lang, 'count.lines', { n: result.stats.lines }), files }));
  } else {
    const range = result.stats.from !== undefined ? formatRange(result.stats.from, result.stats.to, lang) : undefined;
    out.push(bold(range === undefined ? t(lang, 'tty.headlineNoRange', { headline: summary.headline, files }) : t(lang, 'tty.headline', { headline: summary.headline, files, range })));
  }

  const shown = summary.incidents.slice(0, MAX_SHOWN);
  for (const row of shown) {
    const incident = byId.get(row.ref.id);
    if (incident === undefined) continue;
    out.push('');
    out.push(incidentBlock(incident, row.ref.mark, { lang, color, width }));
  }
  if (summary.incidents.length > shown.length) {
    out.push('');
    out.push(dim(t(lang, 'tty.more', { n: summary.incidents.length - shown.length })));
  }

  const first = summary.firstSteps;
  if (first !== null && first.remediation !== null) {
    out.push('');
    out.push(bold(t(lang, 'tty.start', { title: `${first.incident.mark} ${oneLine(first.incident.title, width)}` })));
    const r = first.remediation;
    out.push(`  ${oneLine(r.title, width)}`);
    const commands = (r.commands ?? '').split('\n').filter((c) => c.trim() !== '');
    for (const c of commands.slice(0, MAX_COMMANDS)) out.push(`    ${color ? pc.cyan(plain(c)) : plain(c)}`);
    if (commands.length > MAX_COMMANDS) out.push(dim(`    ${t(lang, 'list.more', { n: commands.length - MAX_COMMANDS })}`));
  }

  out.push('');
  out.push(dim(t(lang, 'tty.hint')));
  out.push(dim(t(lang, 'tty.lang')));
  return `${out.join('\n')}\n`;
}

function incidentBlock(i: Incident, mark: string, o: { lang: Lang; color: boolean; width: number }): string {
  const sev = severityLabel(i.severity, o.lang).trim();
  const head = `${mark} ${o.color ? PAINT[i.severity](sev) : sev}  ${oneLine(i.title, o.width)}`;
  const when =
    i.firstSeen === i.lastSeen ? t(o.lang, 'tty.first', { time: formatTime(i.firstSeen, o.lang) }) : formatRange(i.firstSeen, i.lastSeen, o.lang);
  const facts = [plain(i.services.join(', ')), t(o.lang, 'tty.events', { n: i.count }), `${when}${i.timeApprox ? t(o.lang, 'console.approx') : ''}`, i.rule]
    .filter((f) => f !== '')
    .join(' · ');
  const lines = [head, `   ${o.color ? pc.dim(facts) : facts}`];
  if (i.summary.trim() !== '') lines.push(`   ${firstSentence(i.summary, o.width)}`);
  const cause = i.links.find((l) => l.relation === 'caused-by');
  if (cause !== undefined) lines.push(`   ${t(o.lang, 'tty.causedBy', { title: oneLine(cause.title, o.width) })}`);
  return lines.join('\n');
}
