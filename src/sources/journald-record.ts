// One `journalctl -o json` line → one log event (pure; the journald source, which follows
// `journalctl -o json -f --after-cursor`, is built on it). Real records are in
// fixtures/journald/. The journal stores one record per line of a stream, so the lines of a stack
// trace arrive as separate records: the source feeds MESSAGE texts per service through the
// parser's multi-line joining, as it would the lines of a file.
import type { LogEvent } from '../model.js';

/** syslog priorities 0-7 (sd-journal PRIORITY). */
const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** Events carry this pseudo file name, plus the unit or identifier: `journald:shop-api`. */
export const JOURNALD_FILE_PREFIX = 'journald:';

export interface JournalRecord {
  event: LogEvent;
  /** `__CURSOR`: saved like a file position; `journalctl --after-cursor` resumes after it. */
  cursor: string | undefined;
  /** The MESSAGE was left out by journalctl (over 4096 bytes without `--all`). */
  messageOmitted: boolean;
}

export type JournalParse = { ok: true; record: JournalRecord } | { ok: false; reason: string };

/**
 * Parse one line of `journalctl -o json`. `line` is the line's position in the stream (1-based)
 * for evidence. Field values are strings, except: byte arrays (values that are not UTF-8, or
 * contain control characters journalctl will not print), null (too large), and arrays of either
 * when a field is repeated.
 */
export function parseJournalLine(text: string, line: number): JournalParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const rec = new Map(Object.entries(value));
  const micros = fieldText(rec.get('__REALTIME_TIMESTAMP'));
  if (micros === undefined || !/^\d{1,20}$/.test(micros)) return { ok: false, reason: 'no __REALTIME_TIMESTAMP' };
  const rawMessage = rec.get('MESSAGE');
  const message = fieldText(rawMessage) ?? '';
  const service = serviceOf(rec);
  const pidText = fieldText(rec.get('_PID'));
  const pid = pidText !== undefined && /^\d{1,10}$/.test(pidText) ? Number(pidText) : undefined;
  const priority = fieldText(rec.get('PRIORITY'));
  const level = priority !== undefined && /^[0-7]$/.test(priority) ? LEVELS[Number(priority)] : undefined;
  const fields: Record<string, string> = {};
  for (const [key, name] of [['_SYSTEMD_UNIT', 'unit'], ['_SYSTEMD_USER_UNIT', 'user_unit'], ['SYSLOG_IDENTIFIER', 'identifier'], ['_HOSTNAME', 'hostname'], ['_COMM', 'comm']] as const) {
    const v = fieldText(rec.get(key));
    if (v !== undefined) fields[name] = v;
  }
  // microseconds → milliseconds: BigInt keeps the 16-digit value exact before dividing
  const time = Number(BigInt(micros) / 1000n);
  const event: LogEvent = {
    kind: 'log',
    file: `${JOURNALD_FILE_PREFIX}${service}`,
    line,
    lineCount: 1,
    text: message,
    raw: message,
    time,
    timeApprox: false,
    service,
    pid,
    level,
    fields,
  };
  return { ok: true, record: { event, cursor: fieldText(rec.get('__CURSOR')), messageOmitted: rawMessage === null } };
}

/** The service a record belongs to: the systemd service it came from, else its syslog identifier. */
function serviceOf(rec: Map<string, unknown>): string {
  for (const key of ['_SYSTEMD_USER_UNIT', '_SYSTEMD_UNIT']) {
    const unit = fieldText(rec.get(key));
    // a .service unit names the program; scopes and slices (sessions, cron) do not
    if (unit?.endsWith('.service')) return unit.slice(0, -'.service'.length);
  }
  return fieldText(rec.get('SYSLOG_IDENTIFIER')) ?? fieldText(rec.get('_COMM')) ?? fieldText(rec.get('_SYSTEMD_UNIT')) ?? 'journald';
}

/** A field's value as text: strings as they are, byte arrays decoded (bad UTF-8 → U+FFFD), repeated values joined by newlines. */
export function fieldText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return undefined;
  const items: unknown[] = v;
  const bytes: number[] = [];
  for (const b of items) if (typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255) bytes.push(b);
  if (bytes.length > 0 && bytes.length === items.length) return Buffer.from(bytes).toString('utf8');
  const parts = items.map((x) => fieldText(x)).filter((x): x is string => x !== undefined);
  return parts.length > 0 ? parts.join('\n') : undefined;
}
