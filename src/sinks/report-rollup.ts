// The summary's incident table rolls repeats up: every incident of one rule in one service (and
// scope) is one row with its occurrences, first and last time, worst severity and total events,
// like Alertmanager groups alerts. A 512 MiB archive gave 212 rows, dozens of them the same
// "next-build-missing in web"; the per-incident pages stay, and the recurring list links each.
import type { Incident } from '../model.js';
import { severityRank } from '../model.js';
import { formatClock, formatCount, formatDate, parseTime, plural, severityMark } from './report-format.js';

/** The parts of a page reference the roll-up needs (IncidentRef in report-view.ts). */
export interface RefLike {
  mark: string;
  severity: string;
  linkMd: string;
  href: string | null;
}

export interface RollupRow<R extends RefLike> {
  /** The latest occurrence's page, with the group's worst severity. */
  ref: R;
  services: string;
  scope: string;
  firstSeen: string;
  lastSeen: string;
  /** Events of every occurrence. */
  count: string;
  approx: boolean;
  /** Every occurrence is resolved. */
  resolved: boolean;
  /** 1 for a row of one incident. */
  occurrences: number;
  /** `38 occurrences`, or '' for one. */
  occurrencesText: string;
}

export interface RecurringView {
  mark: string;
  title: string;
  rule: string;
  services: string;
  scope: string;
  occurrences: string;
  /** `[02-08 16:14](incidents/x.md) (22 events)`, escaped: print as is. */
  linksMd: string[];
}

export interface Rollup<R extends RefLike> {
  rows: Array<RollupRow<R>>;
  recurring: RecurringView[];
}

/**
 * Short names for scopes shown side by side: the folder they share is dropped
 * (`fixtures/seed-000-…`, `fixtures/benign` → `seed-000-…`, `benign`). '' stays '' (a run's only scope).
 */
export function scopeLabels(scopes: string[]): Map<string, string> {
  if (scopes.length < 2) return new Map(scopes.map((s) => [s, s]));
  const split = scopes.map((s) => s.split(/[\\/]/));
  let common = 0;
  const shortest = Math.min(...split.map((p) => p.length));
  while (common < shortest - 1 && split.every((p) => p[common] === split[0]?.[common])) common++;
  return new Map(scopes.map((s, i) => [s, s === '' ? '' : (split[i] ?? []).slice(common).join('/')]));
}

function groupKey(i: Incident): string {
  return [i.rule, [...i.services].sort().join('\u0001'), i.scope ?? ''].join('\u0000');
}

/** `02-08 16:14` within one year, else the full date: a short label for one occurrence's link. */
function occurrenceLabel(iso: string, sameYear: boolean): string {
  const ms = parseTime(iso);
  if (ms === undefined) return 'unknown time';
  const date = formatDate(ms);
  return `${sameYear ? date.slice(5) : date} ${formatClock(ms).slice(0, 5)}`;
}

/**
 * Rows in the order of `incidents` (already sorted, most severe first): a group takes the place
 * of its first member. `shortTime` formats a table time; `ref` makes a page reference.
 */
export function rollUp<R extends RefLike>(
  incidents: Incident[],
  ref: (i: Incident) => R,
  shortTime: (iso: string, sameDayAs?: string) => string,
  labels: Map<string, string> = new Map(),
): Rollup<R> {
  const where = (i: Incident): string => labels.get(i.scope ?? '') ?? i.scope ?? '';
  const groups = new Map<string, Incident[]>();
  for (const i of incidents) {
    const key = groupKey(i);
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  }
  const rows: Array<RollupRow<R>> = [];
  const recurring: RecurringView[] = [];
  for (const members of groups.values()) {
    const byTime = [...members].sort((a, b) => (parseTime(a.firstSeen) ?? 0) - (parseTime(b.firstSeen) ?? 0));
    const first = byTime[0];
    const latest = byTime[byTime.length - 1];
    if (first === undefined || latest === undefined) continue;
    const worst = members.reduce((w, i) => (severityRank(i.severity) > severityRank(w.severity) ? i : w), first);
    const lastSeen = members.reduce((l, i) => ((parseTime(i.lastSeen) ?? 0) > (parseTime(l) ?? 0) ? i.lastSeen : l), first.lastSeen);
    const base = ref(latest);
    const rowRef: R = { ...base, mark: severityMark(worst.severity), severity: worst.severity };
    const events = members.reduce((n, i) => n + i.count, 0);
    rows.push({
      ref: rowRef,
      services: first.services.join(', '),
      scope: where(first),
      firstSeen: shortTime(first.firstSeen),
      lastSeen: shortTime(lastSeen, first.firstSeen),
      count: formatCount(events),
      approx: members.some((i) => i.timeApprox),
      resolved: members.every((i) => i.status === 'resolved'),
      occurrences: members.length,
      occurrencesText: members.length > 1 ? plural(members.length, 'occurrence') : '',
    });
    if (members.length > 1) {
      const years = new Set(byTime.map((i) => i.firstSeen.slice(0, 4)));
      recurring.push({
        mark: severityMark(worst.severity),
        title: first.title,
        rule: first.rule,
        services: first.services.join(', '),
        scope: where(first),
        occurrences: plural(members.length, 'occurrence'),
        linksMd: byTime.map((i) => {
          const label = occurrenceLabel(i.firstSeen, years.size === 1);
          const target = ref(i).href;
          const text = `${i.timeApprox ? '≈ ' : ''}${label}`;
          return `${target === null ? text : `[${text}](${target})`} (${plural(i.count, 'event')})`;
        }),
      });
    }
  }
  return { rows, recurring };
}
