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

const ISO_PARTS =
  /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?(?:[.,](\d+)| (\d{3})(?!\d))?(?:(Z)| ?([+-])(\d\d):?(\d\d)| UTC)?/;

/**
 * Epoch milliseconds for an ISO-like date-time at the start of `text`, or undefined.
 * Times without a zone are taken as UTC (PM2 and Python write local time with no zone; we
 * cannot know the box's zone from the log, and UTC keeps results identical across machines).
 */
export function parseTimestamp(text: string): number | undefined {
  const m = ISO_PARTS.exec(text);
  if (!m) return undefined;
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
