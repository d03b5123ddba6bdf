// A short terminal summary (`--format text`): one line per incident, most severe first.
import pc from 'picocolors';
import type { AnalysisResult, Incident, Lang, Severity } from '../model.js';
import { visibleLine } from '../text/terminal.js';
import { severityName, t } from './messages.js';

const PAINT: Record<Severity, (s: string) => string> = {
  critical: (s) => pc.bold(pc.red(s)),
  error: pc.red,
  warning: pc.yellow,
  info: pc.cyan,
};

/** Log text can hold escape sequences and bidi overrides; show them, never pass them to the terminal. */
const plain = visibleLine;

/** `CRITICAL` in English; the severity's name in other languages (all 2 characters wide in Chinese). */
export function severityLabel(severity: Severity, lang: Lang): string {
  return lang === 'en' ? severity.toUpperCase().padEnd(8) : severityName(lang, severity).padEnd(3);
}

export function incidentLine(i: Incident, color: boolean, lang: Lang = 'en'): string {
  const sev = severityLabel(i.severity, lang);
  const head = color ? PAINT[i.severity](sev) : sev;
  const when = i.firstSeen === i.lastSeen ? i.firstSeen : `${i.firstSeen} → ${i.lastSeen}`;
  return `${head} ${plain(i.rule)}  ${plain(i.services.join(','))}  ×${i.count}  ${when}${i.timeApprox ? t(lang, 'console.approx') : ''}  ${i.id}`;
}

export function renderText(result: AnalysisResult, options: { color: boolean; lang?: Lang }): string {
  const lang = options.lang ?? 'en';
  const s = result.stats;
  const lines: string[] = [];
  const range = s.from && s.to ? t(lang, 'console.range', { from: s.from, to: s.to }) : '';
  if (s.store !== undefined) lines.push(t(lang, 'console.stored', { store: s.store, range: s.from && s.to ? t(lang, 'console.storedRange', { from: s.from, to: s.to }) : '' }));
  else lines.push(t(lang, 'console.read', { files: String(s.files), lines: String(s.lines), mib: (s.bytes / 1048576).toFixed(1), ms: String(s.durationMs), range }));
  if (result.incidents.length === 0) {
    lines.push(t(lang, 'console.none'));
  } else {
    lines.push(t(lang, 'console.incidents', { n: String(result.incidents.length) }));
    for (const i of result.incidents) lines.push(`  ${incidentLine(i, options.color, lang)}`);
  }
  if (s.skipped.length > 0) {
    lines.push(t(lang, 'console.skipped', { n: String(s.skipped.length), list: s.skipped.map((k) => `${plain(k.file)} (${plain(k.reason)})`).join('; ') }));
  }
  return `${lines.join('\n')}\n`;
}
