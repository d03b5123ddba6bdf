// Prefixes that tools put in front of the application's own text, in the order of
// error-catalogue §4.6: ANSI colours, `pm2 logs` (`0|api      | `), docker-compose
// (`web      | `), then a leading timestamp (PM2 `--time`, `log_date_format`, ISO, Python
// logging, bracketed). Runs for every event-start line, so it compares character codes only
// and reports positions instead of building strings.
import { dateTimeEnd } from './timestamp.js';

export interface PrefixScan {
  /** Index where the message text starts (after all recognised prefixes). */
  contentAt: number;
  /** Timestamp position, or -1 when the line has none. */
  tsStart: number;
  tsEnd: number;
  /** `pm2 logs` prefix app name position (`0|api |`), or -1. */
  appStart: number;
  appEnd: number;
}

export function newPrefixScan(): PrefixScan {
  return { contentAt: 0, tsStart: -1, tsEnd: -1, appStart: -1, appEnd: -1 };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipAnsi(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) === 27 && s.charCodeAt(i + 1) === 91 /* [ */) {
    let j = i + 2;
    while (j < end && ((s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) || s.charCodeAt(j) === 59)) j++;
    if (j < end && s.charCodeAt(j) === 109 /* m */) i = j + 1;
    else break;
  }
  return i;
}

/** `pm2 logs` line prefix: `12|my-app | ` or `PM2        | `. Returns index after it, or -1. */
function pm2LogsPrefixEnd(s: string, i: number, end: number, out: PrefixScan): number {
  const c = s.charCodeAt(i);
  if (isDigit(c)) {
    let j = i + 1;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) !== 124 /* | */) return -1;
    const nameStart = j + 1;
    const bar = s.indexOf('|', nameStart);
    if (bar < 0 || bar >= end || bar - nameStart > 64) return -1;
    let nameEnd = bar;
    while (nameEnd > nameStart && s.charCodeAt(nameEnd - 1) === 32) nameEnd--;
    if (nameEnd === nameStart) return -1;
    out.appStart = nameStart;
    out.appEnd = nameEnd;
    return s.charCodeAt(bar + 1) === 32 ? bar + 2 : bar + 1;
  }
  if (c === 80 /* P */ && s.startsWith('PM2 ', i)) {
    let j = i + 3;
    while (j < end && s.charCodeAt(j) === 32) j++;
    if (s.charCodeAt(j) !== 124) return -1;
    return s.charCodeAt(j + 1) === 32 ? j + 2 : j + 1;
  }
  return -1;
}

/** docker-compose prefix `web-1    | `: a short name, spaces, a bar. Returns index after it, or -1. */
function composePrefixEnd(s: string, i: number, end: number): number {
  let j = i;
  const limit = Math.min(end, i + 48);
  while (j < limit) {
    const c = s.charCodeAt(j);
    const word = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 45 || c === 95 || c === 46;
    if (!word) break;
    j++;
  }
  if (j === i || s.charCodeAt(j) !== 32) return -1;
  while (j < limit && s.charCodeAt(j) === 32) j++;
  if (s.charCodeAt(j) !== 124 || s.charCodeAt(j + 1) !== 32) return -1;
  return j + 2;
}

/** Scan the prefixes of the line `s[start, end)` into `out`. */
export function scanPrefixes(s: string, start: number, end: number, out: PrefixScan): void {
  out.tsStart = -1;
  out.tsEnd = -1;
  out.appStart = -1;
  out.appEnd = -1;
  let i = skipAnsi(s, start, end);
  const c = s.charCodeAt(i);
  // A leading date-time is either the line's own timestamp or, before a `pm2 logs` prefix,
  // the one `pm2 logs --timestamp` adds: find it once and decide.
  let dt = isDigit(c) ? dateTimeEnd(s, i) : -1;
  let p = dt < 0 ? pm2LogsPrefixEnd(s, i, end, out) : -1;
  if (dt > 0 && s.charCodeAt(dt) === 32) {
    const after = pm2LogsPrefixEnd(s, dt + 1, end, out);
    if (after > 0) {
      out.tsStart = i;
      out.tsEnd = dt;
      p = after;
      dt = -1;
    }
  }
  if (p < 0 && dt < 0 && !isDigit(c) && c !== 123 /* { */ && c !== 91 /* [ */ && c !== 32) p = composePrefixEnd(s, i, end);
  if (p > 0) {
    i = skipAnsi(s, p, end);
    const d = s.charCodeAt(i);
    dt = isDigit(d) ? dateTimeEnd(s, i) : -1;
  }
  // leading timestamp, optionally in brackets
  let bracket = 0;
  if (dt < 0 && s.charCodeAt(i) === 91 /* [ */) {
    const inner = dateTimeEnd(s, i + 1);
    if (inner > 0 && s.charCodeAt(inner) === 93 /* ] */) {
      bracket = 1;
      dt = inner;
    }
  }
  if (dt > 0) {
    out.tsStart = i + bracket;
    out.tsEnd = dt;
    i = dt + bracket;
    // PM2 writes `<date>: `; most others `<date> `. Skip the colon and exactly one space so
    // indentation after the prefix (stack frames) survives.
    if (s.charCodeAt(i) === 58) i++;
    if (s.charCodeAt(i) === 32) i++;
  }
  out.contentAt = i;
}

const ANSI_GLOBAL = /\x1b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI_GLOBAL, '') : text;
}
