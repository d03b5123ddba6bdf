// `ps aux` / `ps -ef` snapshots saved next to the logs (the seeds' diagnoses start from one).
// Each process row becomes an event of kind 'ps' whose text is the command line, so
// duplicate-process is an ordinary rule with `source: ps` patterns.
import type { LogEvent } from '../model.js';
import { parseTimestamp } from './timestamp.js';

const HEADER = /^\s*(USER|UID)\s+PID\s+.*\s(COMMAND|CMD|ARGS)\s*$/;

export interface PsLayout {
  /** Column names before the command column. */
  columns: string[];
}

/** The layout if `line` is a ps header line. */
export function psHeader(line: string): PsLayout | undefined {
  if (!HEADER.test(line)) return undefined;
  const names = line.trim().split(/\s+/);
  names.pop(); // COMMAND / CMD / ARGS: the rest of the row
  return { columns: names.map((n) => n.toLowerCase()) };
}

/** A line above the header saying when the snapshot was taken (`date` output or ISO), if any. */
export function snapshotTime(line: string): number | undefined {
  const iso = parseTimestamp(line.trim().replace(/^#\s*/, ''));
  if (iso !== undefined) return iso;
  const t = Date.parse(line.trim().replace(/^#\s*/, ''));
  return Number.isNaN(t) ? undefined : t;
}

export function psRowEvent(
  line: string,
  layout: PsLayout,
  src: { file: string; line: number; service: string; time: number | undefined; timeApprox: boolean },
): LogEvent | undefined {
  const row = line.replace(/\r$/, '');
  if (!row.trim()) return undefined;
  const fields: Record<string, string> = {};
  let rest = row.trimStart();
  for (const name of layout.columns) {
    const m = /^(\S+)\s+/.exec(rest);
    if (!m) return undefined;
    fields[name === '%cpu' ? 'cpu' : name === '%mem' ? 'mem' : name] = m[1] ?? '';
    rest = rest.slice(m[0].length);
  }
  const pid = Number(fields.pid);
  if (!Number.isInteger(pid)) return undefined;
  const command = rest.trim();
  if (fields.stime !== undefined) fields.start = fields.stime;
  return {
    kind: 'ps',
    file: src.file,
    line: src.line,
    lineCount: 1,
    text: command,
    raw: row,
    time: src.time,
    timeApprox: src.timeApprox,
    service: src.service,
    pid,
    fields,
  };
}
