// Leading timestamps in the formats real Node, Python and PM2 logs write, found without regexes
// on the hot path: `timestampEnd` is called for every event start line, so it only compares
// character codes at fixed offsets. `parseTimestamp` (a regex) runs only on lines we keep.

const D0 = 48;
const D9 = 57;

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

function digitsAt(s: string, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/**
 * If `s` has an ISO-like date-time at `at` (`YYYY-MM-DD[T ]HH:mm[:ss][.,sss][ SSS][Z|±hh[:]mm| UTC]`),
 * return the index just past it, else -1. Covers PM2 `--time` (`2026-11-22T09:39:07`), PM2
 * `log_date_format` (`2026-11-22 09:40:32 +00:00`), Python logging (`2025-12-07 12:27:11,246`),
 * Postgres (`2025-09-17 20:50:46.605 UTC`), winston/pino ISO strings.
 */
export function dateTimeEnd(s: string, at: number): number {
  if (!digitsAt(s, at, 4) || s.charCodeAt(at + 4) !== 45 /* - */) return -1;
  if (!digitsAt(s, at + 5, 2) || s.charCodeAt(at + 7) !== 45 || !digitsAt(s, at + 8, 2)) return -1;
  const sep = s.charCodeAt(at + 10);
  if (sep !== 84 /* T */ && sep !== 32 /* space */) return -1;
  if (!digitsAt(s, at + 11, 2) || s.charCodeAt(at + 13) !== 58 /* : */ || !digitsAt(s, at + 14, 2)) return -1;
  let i = at + 16;
  if (s.charCodeAt(i) === 58 && digitsAt(s, i + 1, 2)) i += 3;
  // fraction: .sss or ,sss (Python logging), any number of digits
  let c = s.charCodeAt(i);
  if ((c === 46 || c === 44) && isDigit(s.charCodeAt(i + 1))) {
    i += 1;
    while (isDigit(s.charCodeAt(i))) i++;
  } else if (c === 32 && digitsAt(s, i + 1, 3) && !isDigit(s.charCodeAt(i + 4))) {
    // PM2 log_date_format 'YYYY-MM-DD HH:mm:ss SSS' writes milliseconds after a space
    i += 4;
  }
  c = s.charCodeAt(i);
  if (c === 90 /* Z */) return i + 1;
  const zoneAt = c === 32 ? i + 1 : i;
  const z = s.charCodeAt(zoneAt);
  if ((z === 43 || z === 45) && digitsAt(s, zoneAt + 1, 2)) {
    let j = zoneAt + 3;
    if (s.charCodeAt(j) === 58) j++;
    if (digitsAt(s, j, 2)) return j + 2;
  }
  if (c === 32 && s.startsWith('UTC', zoneAt) && !isLetter(s.charCodeAt(zoneAt + 3))) return zoneAt + 3;
  return i;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** nginx error log `2026/12/03 02:11:47`: index past it, or -1. */
export function slashDateTimeEnd(s: string, at: number): number {
  if (!digitsAt(s, at, 4) || s.charCodeAt(at + 4) !== 47 /* / */ || !digitsAt(s, at + 5, 2) || s.charCodeAt(at + 7) !== 47) return -1;
  if (!digitsAt(s, at + 8, 2) || s.charCodeAt(at + 10) !== 32) return -1;
  if (!digitsAt(s, at + 11, 2) || s.charCodeAt(at + 13) !== 58 || !digitsAt(s, at + 14, 2)) return -1;
  if (s.charCodeAt(at + 16) !== 58 || !digitsAt(s, at + 17, 2)) return -1;
  return at + 19;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Month index of the three letters at `at` (`Dec` → 11), or -1. Compares codes first: runs per line. */
function monthAt(s: string, at: number): number {
  const c = s.charCodeAt(at);
  // J F M A S O N D
  if (c !== 74 && c !== 70 && c !== 77 && c !== 65 && c !== 83 && c !== 79 && c !== 78 && c !== 68) return -1;
  const l1 = s.charCodeAt(at + 1);
  const l2 = s.charCodeAt(at + 2);
  if (l1 < 97 || l1 > 122 || l2 < 97 || l2 > 122) return -1;
  for (let m = 0; m < 12; m++) {
    const name = MONTHS[m] ?? '';
    if (name.charCodeAt(0) === c && name.charCodeAt(1) === l1 && name.charCodeAt(2) === l2) return m;
  }
  return -1;
}

/**
 * syslog (RFC 3164) and `journalctl` (short, short-precise) `Dec  3 02:11:47[.123456]`: the
 * day is space- or zero-padded. Index past it, or -1.
 */
export function syslogTimeEnd(s: string, at: number): number {
  if (monthAt(s, at) < 0 || s.charCodeAt(at + 3) !== 32) return -1;
  const d0 = s.charCodeAt(at + 4);
  if (!(d0 === 32 || isDigit(d0)) || !isDigit(s.charCodeAt(at + 5)) || s.charCodeAt(at + 6) !== 32) return -1;
  const t = at + 7;
  if (!digitsAt(s, t, 2) || s.charCodeAt(t + 2) !== 58 || !digitsAt(s, t + 3, 2) || s.charCodeAt(t + 5) !== 58 || !digitsAt(s, t + 6, 2)) return -1;
  let i = t + 8;
  if (s.charCodeAt(i) === 46 && isDigit(s.charCodeAt(i + 1))) {
    i++;
    while (isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

/** Apache 2.x error log `Wed Dec 03 02:11:47[.123456] 2026` (inside its brackets). Index past it, or -1. */
export function apacheTimeEnd(s: string, at: number): number {
  if (s.charCodeAt(at + 3) !== 32 || !DAYS.includes(s.slice(at, at + 3))) return -1;
  const end = syslogTimeEnd(s, at + 4);
  if (end < 0 || s.charCodeAt(end) !== 32 || !digitsAt(s, end + 1, 4)) return -1;
  return end + 5;
}

/**
 * The year a syslog time without one most likely has: the reference year, or the year before
 * when that would put it more than two days in the future (a December log read in January),
 * as fail2ban and lnav do.
 */
function syslogYear(month: number, day: number, reference: number): number {
  const year = new Date(reference).getUTCFullYear();
  return Date.UTC(year, month, day) > reference + 2 * 86_400_000 ? year - 1 : year;
}

const SYSLOG_PARTS = /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?: (\d{4}))?/;
const SLASH_PARTS = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)/;

/** syslog / journald / Apache / nginx times (local time of the box, taken as UTC like the others). */
function parseOtherTimestamp(text: string, reference: number): number | undefined {
  const slash = SLASH_PARTS.exec(text);
  if (slash) {
    const [, y, mo, d, h, mi, sec] = slash;
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
    return Number.isNaN(t) || Number(mo) > 12 ? undefined : t;
  }
  const m = SYSLOG_PARTS.exec(text);
  if (!m) return undefined;
  const [, , mon, day, h, mi, sec, frac, year] = m;
  const month = MONTHS.indexOf(mon ?? '');
  if (month < 0) return undefined;
  const d = Number(day);
  const y = year ? Number(year) : syslogYear(month, d, reference);
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  const t = Date.UTC(y, month, d, Number(h), Number(mi), Number(sec), ms);
  return Number.isNaN(t) ? undefined : t;
}

const ISO_PARTS =
  /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?(?:[.,](\d+)| (\d{3})(?!\d))?(?:(Z)| ?([+-])(\d\d):?(\d\d)| UTC)?/;

/**
 * Epoch milliseconds for an ISO-like date-time at the start of `text`, or undefined.
 * Times without a zone are taken as UTC (PM2 and Python write local time with no zone; we
 * cannot know the box's zone from the log, and UTC keeps results identical across machines).
 * Also reads nginx (`2026/12/03 02:11:47`), syslog/journald (`Dec  3 02:11:47`, no year: see
 * syslogYear; `reference` is "now") and Apache (`Wed Dec 03 02:11:47.123456 2026`).
 */
export function parseTimestamp(text: string, reference = Date.now()): number | undefined {
  // consecutive events mostly share their timestamp text (many lines a second): one entry
  // cache of the ISO form, which does not depend on `reference`
  if (text === lastIsoText) return lastIsoTime;
  const m = ISO_PARTS.exec(text);
  if (!m) return parseOtherTimestamp(text, reference);
  lastIsoTime = isoTime(m);
  lastIsoText = text;
  return lastIsoTime;
}

let lastIsoText: string | undefined;
let lastIsoTime: number | undefined;

function isoTime(m: RegExpExecArray): number | undefined {
  const [, y, mo, d, h, mi, sec, frac, spaceMs, zulu, sign, zh, zm] = m;
  const fraction = frac ?? spaceMs;
  const ms = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0), ms);
  if (Number.isNaN(t)) return undefined;
  if (!zulu && sign) {
    const offset = (Number(zh) * 60 + Number(zm)) * 60_000;
    t += sign === '+' ? -offset : offset;
  }
  return t;
}

/** Epoch value from a JSON log field: pino's ms number, epoch seconds, or an ISO string. */
export function parseJsonTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // pino writes epoch ms; some loggers write epoch seconds (with a fraction)
    return value < 1e11 ? Math.round(value * 1000) : value;
  }
  if (typeof value === 'string') {
    const t = parseTimestamp(value);
    if (t !== undefined) return t;
    const n = Date.parse(value);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
