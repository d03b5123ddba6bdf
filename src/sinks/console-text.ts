// A short terminal summary (`--format text`): one line per incident, most severe first.
import pc from 'picocolors';
import type { AnalysisResult, Incident, Severity } from '../model.js';
import { visibleLine } from '../text/terminal.js';

const PAINT: Record<Severity, (s: string) => string> = {
  critical: (s) => pc.bold(pc.red(s)),
  error: pc.red,
  warning: pc.yellow,
  info: pc.cyan,
};

/** Log text can hold escape sequences and bidi overrides; show them, never pass them to the terminal. */
const plain = visibleLine;

export function incidentLine(i: Incident, color: boolean): string {
  const sev = i.severity.toUpperCase().padEnd(8);
  const head = color ? PAINT[i.severity](sev) : sev;
  const when = i.firstSeen === i.lastSeen ? i.firstSeen : `${i.firstSeen} → ${i.lastSeen}`;
  return `${head} ${plain(i.rule)}  ${plain(i.services.join(','))}  ×${i.count}  ${when}${i.timeApprox ? ' (approx.)' : ''}  ${i.id}`;
}

export function renderText(result: AnalysisResult, options: { color: boolean }): string {
  const s = result.stats;
  const lines: string[] = [];
  const range = s.from && s.to ? `, logs from ${s.from} to ${s.to}` : '';
  if (s.store !== undefined) lines.push(`Incidents kept in ${s.store} (no logs were read now)${s.from && s.to ? `, from ${s.from} to ${s.to}` : ''}.`);
  else lines.push(`Read ${s.files} file(s), ${s.lines} lines, ${(s.bytes / 1048576).toFixed(1)} MiB in ${s.durationMs} ms${range}.`);
  if (result.incidents.length === 0) {
    lines.push('No incidents found.');
  } else {
    lines.push(`${result.incidents.length} incident(s):`);
    for (const i of result.incidents) lines.push(`  ${incidentLine(i, options.color)}`);
  }
  if (s.skipped.length > 0) lines.push(`Skipped ${s.skipped.length} input(s): ${s.skipped.map((k) => `${plain(k.file)} (${plain(k.reason)})`).join('; ')}`);
  return `${lines.join('\n')}\n`;
}
