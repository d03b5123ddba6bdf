// The incident timeline as a Mermaid gantt chart, which GitHub renders inline.
// One section per service (or service set), one bar per incident from firstSeen to lastSeen.
import type { Incident, Lang, Severity } from '../model.js';
import { severityRank } from '../model.js';
import { mermaidText } from './markdown-escape.js';
import { parseTime } from './report-format.js';
import { t } from './messages.js';

/** More bars than this make the chart unreadable on GitHub; the most severe are kept. */
export const MAX_TIMELINE_BARS = 40;

export interface Timeline {
  /** The complete ```mermaid block, or '' when nothing has a usable time. */
  markdown: string;
  /** Bars drawn. */
  shown: number;
  /** Incidents that could have been drawn. */
  total: number;
  /** A sentence saying what was left out, or ''. */
  note: string;
}

// Mermaid parses dates with dayjs in strict mode; this format has no zone, so the chart shows the
// UTC wall clock we write (the browser's zone never shifts it).
const DATE_FORMAT = 'YYYY-MM-DDTHH:mm:ss';

const TAG: Record<Severity, string> = {
  critical: 'crit, ',
  error: 'active, ',
  warning: '',
  info: 'done, ',
};

function mermaidDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Most severe first, then earliest first: the order bars are kept in when the chart is capped. */
export function compareIncidents(a: Incident, b: Incident): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (parseTime(a.firstSeen) ?? Infinity) - (parseTime(b.firstSeen) ?? Infinity) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

interface Bar {
  incident: Incident;
  start: number;
  end: number;
}

export function buildTimeline(incidents: Incident[], maxBars = MAX_TIMELINE_BARS, lang: Lang = 'en'): Timeline {
  const timed: Bar[] = [];
  for (const incident of incidents) {
    const start = parseTime(incident.firstSeen);
    if (start === undefined) continue;
    const last = parseTime(incident.lastSeen) ?? start;
    timed.push({ incident, start, end: Math.max(start, last) });
  }
  const untimed = incidents.length - timed.length;
  if (timed.length === 0) {
    return { markdown: '', shown: 0, total: 0, note: untimed > 0 ? t(lang, 'timeline.noTimes') : '' };
  }
  const bars = [...timed].sort((a, b) => compareIncidents(a.incident, b.incident)).slice(0, maxBars);

  const from = Math.min(...bars.map((b) => b.start));
  const to = Math.max(...bars.map((b) => b.end));
  const span = to - from;
  // An incident shorter than 1% of the chart would be an invisible bar, and stretching it would
  // draw a 5-second incident as days on a chart spanning months: it is drawn as a milestone
  // (a diamond) at its real time instead. One minute when everything is one instant.
  const minBar = span === 0 ? 60_000 : Math.max(1000, Math.ceil(span / 100 / 1000) * 1000);
  const axis = span > 86_400_000 ? '%m-%d %H:%M' : span < 600_000 ? '%H:%M:%S' : '%H:%M';

  const sections = new Map<string, Bar[]>();
  for (const bar of bars) {
    const services = [...bar.incident.services].sort();
    const key = services.length === 0 ? t(lang, 'timeline.unknownService') : services.join(' + ');
    const list = sections.get(key) ?? [];
    list.push(bar);
    sections.set(key, list);
  }

  const lines = [
    '```mermaid',
    'gantt',
    `    title ${t(lang, 'timeline.title')}`,
    `    dateFormat ${DATE_FORMAT}`,
    `    axisFormat ${axis}`,
    '    todayMarker off',
  ];
  let n = 0;
  for (const [service, list] of [...sections.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`    section ${mermaidText(service, 40)}`);
    for (const bar of list.sort((a, b) => a.start - b.start)) {
      n += 1;
      const label = mermaidText(bar.incident.title);
      if (span > 0 && bar.end - bar.start < minBar) {
        // the diamond sits halfway between the two dates: keep them one second apart
        const at = Math.round((bar.start + bar.end) / 2000) * 1000;
        lines.push(`    ${label} :${TAG[bar.incident.severity]}milestone, i${n}, ${mermaidDate(at)}, ${mermaidDate(at + 1000)}`);
      } else {
        const end = Math.max(bar.end, bar.start + minBar);
        lines.push(`    ${label} :${TAG[bar.incident.severity]}i${n}, ${mermaidDate(bar.start)}, ${mermaidDate(end)}`);
      }
    }
  }
  lines.push('```');

  const notes: string[] = [];
  if (timed.length > bars.length) {
    notes.push(t(lang, 'timeline.capped', { shown: bars.length, n: timed.length }));
  }
  if (untimed > 0) notes.push(t(lang, 'timeline.untimed', { n: untimed }));
  return { markdown: lines.join('\n'), shown: bars.length, total: incidents.length, note: notes.join(' ') };
}
