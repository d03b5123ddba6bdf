// Process listings saved next to the logs or pasted into a report (the seeds' diagnoses start from
// one), as people really capture them: `ps aux` / `ps -ef` / busybox `ps` with their header,
// `ps -ef | grep node` without one (the shape of the rows tells the layout), and `pm2 ls` tables
// (pm2-table.ts). Each process row becomes an event of kind 'ps' whose text is the command line,
// so duplicate-process is an ordinary rule with `source: ps` patterns.
import type { LogEvent } from '../model.js';
import { parseTimestamp } from './timestamp.js';
import { pm2TableHeader, pm2RowEvent, type Pm2Layout } from './pm2-table.js';

const HEADER = /^\s*(?:[A-Z%]+\s+)*PID\s+(?:[A-Z%]+\s+)*(?:COMMAND|CMD|ARGS)\s*$/;

export interface PsLayout {
  /** Column names before the command column. */
  columns: string[];
  /** Set for `pm2 ls` tables: the rows are table rows, not ps rows. */
  pm2?: Pm2Layout | undefined;
}

/** The layout if `line` is a ps header line. */
export function psHeader(line: string): PsLayout | undefined {
  if (!HEADER.test(line)) return undefined;
  const names = line.trim().split(/\s+/);
  names.pop(); // COMMAND / CMD / ARGS: the rest of the row
  return { columns: names.map((n) => n.toLowerCase()) };
}

// Rows without a header: `ps -ef` (UID PID PPID C STIME TTY TIME CMD; macOS TIME `0:00.12`) and
// `ps aux` (USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND; macOS START `10:00AM`).
const EF_ROW = /^\s*\S+\s+\d+\s+\d+\s+\d+\s+\S+\s+\S+\s+(?:\d+-)?\d+:\d\d(?:[:.]\d\d)?\s+\S/;
const AUX_ROW = /^\s*\S+\s+\d+\s+\d+(?:[.,]\d)?\s+\d+(?:[.,]\d)?\s+\d+\s+\d+\s+\S+\s+\S+\s+\S+\s+\d+:\d\d(?:[:.]\d\d)?\s+\S/;
const EF_COLUMNS = ['uid', 'pid', 'ppid', 'c', 'stime', 'tty', 'time'];
const AUX_COLUMNS = ['user', 'pid', '%cpu', '%mem', 'vsz', 'rss', 'tty', 'stat', 'start', 'time'];
/** The shell line someone pasted above the output: `$ ps -ef | grep node`, `root@web:~# pm2 ls`. */
const COMMAND_LINE = /^\s*(?:\S*[$#>%]\s*)?(?:sudo\s+)?(?:ps|pm2|npx pm2)\b/;

/** Layout of headerless ps rows, if `line` is one. */
export function psRowLayout(line: string): PsLayout | undefined {
  if (AUX_ROW.test(line)) return { columns: AUX_COLUMNS };
  if (EF_ROW.test(line)) return { columns: EF_COLUMNS };
  return undefined;
}

export interface PsDetection {
  layout: PsLayout;
  /** Time of the snapshot from a line above the table, if one says it. */
  time: number | undefined;
}

/**
 * Is this file a process listing? Looks at its first lines (UTF-8 text): a ps header in the first
 * two (the first may be a `date` line), a `pm2 ls` table header in the first dozen, or, after an
 * optional shell command line, two rows (or a lone row) in the shape of `ps -ef` / `ps aux`.
 */
export function detectProcessListing(head: string[]): PsDetection | undefined {
  const first = head[0] ?? '';
  const header = psHeader(first) ? first : psHeader(head[1] ?? '') ? head[1] : undefined;
  if (header !== undefined) {
    const layout = psHeader(header);
    if (layout) return { layout, time: header !== first ? snapshotTime(first) : undefined };
  }
  for (let i = 0; i < Math.min(head.length, 12); i++) {
    const pm2 = pm2TableHeader(head[i] ?? '');
    if (pm2) return { layout: { columns: [], pm2 }, time: undefined };
  }
  const lines = head.filter((l) => l.trim() !== '');
  let at = 0;
  if (lines[0] !== undefined && COMMAND_LINE.test(lines[0]) && !psRowLayout(lines[0])) at = 1;
  const row = lines[at];
  if (row === undefined) return undefined;
  const layout = psRowLayout(row);
  if (!layout) return undefined;
  const next = lines[at + 1];
  if (next !== undefined && psRowLayout(next)?.columns !== layout.columns) return undefined;
  return { layout, time: undefined };
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
  if (layout.pm2) return pm2RowEvent(line, layout.pm2, src);
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
