// Human formatting for reports: times in UTC, durations, sizes, counts, plurals.
// Everything here returns text made of digits, letters and plain punctuation, never log content.
import type { Lang, Severity } from '../model.js';
import { t } from './messages.js';

/** Epoch ms of an ISO string, or undefined when it is missing or unparsable. */
export function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined || iso === '') return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-02-08 16:40:01 UTC`. */
export function formatTime(iso: string | undefined, lang: Lang = 'en'): string {
  const ms = parseTime(iso);
  if (ms === undefined) return t(lang, 'time.unknown');
  const d = new Date(ms);
  return `${formatDate(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** `2026-02-08` (UTC). */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** `16:40:01` (UTC), for the end of a range that starts on the same day. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `2026-02-08 16:40:01 UTC → 16:43:12 UTC`, dropping the repeated date. */
export function formatRange(fromIso: string | undefined, toIso: string | undefined, lang: Lang = 'en'): string {
  const from = parseTime(fromIso);
  const to = parseTime(toIso);
  if (from === undefined || to === undefined) return formatTime(fromIso ?? toIso, lang);
  if (to - from < 1000) return formatTime(fromIso);
  const end = formatDate(from) === formatDate(to) ? `${formatClock(to)} UTC` : formatTime(toIso);
  return `${formatTime(fromIso)} → ${end}`;
}

/** Durations as people say them: `45s`, `3m 12s`, `2h 5m`, `3d 4h` (`3 分 12 秒` in Chinese). */
export function formatDuration(ms: number, lang: Lang = 'en'): string {
  if (!Number.isFinite(ms) || ms < 0) return t(lang, 'time.unknownShort');
  const s = Math.round(ms / 1000);
  if (s < 60) return t(lang, 'duration.s', { n: s });
  const units = [
    ['duration.d', 86_400],
    ['duration.h', 3_600],
    ['duration.m', 60],
    ['duration.s', 1],
  ] as const;
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    // a zero after the first unit is left out (`2h`, not `2h 0m`)
    if (n > 0) parts.push(t(lang, unit, { n }));
    else if (parts.length > 0) parts.push('');
    if (parts.length === 2) break;
  }
  return parts.filter((p) => p !== '').join(t(lang, 'duration.sep'));
}

/** How long the analysis took: `340 ms`, `1.2 s`, `2m 5s`. */
export function formatElapsed(ms: number, lang: Lang = 'en'): string {
  if (!Number.isFinite(ms) || ms < 0) return t(lang, 'time.unknownShort');
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms, lang);
}

/** `1.2 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown size';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? 'TiB'}`;
}

/** `12,345`, without depending on the ICU data Node was built with. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '0';
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `1 incident`, `3 incidents`, `2 matches` (irregular plural passed in). */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

/** `a, b and c`. */
export function listWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}

const SEVERITY_MARK: Record<Severity, string> = {
  critical: '🔴',
  error: '🟠',
  warning: '🟡',
  info: '🔵',
};

export function severityMark(severity: Severity): string {
  return SEVERITY_MARK[severity];
}
