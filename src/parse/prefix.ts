// Prefixes that tools put in front of the application's own text, in the order of
// error-catalogue §4.6: ANSI colours, `pm2 logs` (`0|api      | `), docker-compose
// (`web      | `), then a leading timestamp (PM2 `--time`, `log_date_format`, ISO, Python
// logging, bracketed; `docker logs -t` puts its own before the app's). Whole-line formats of
// other writers: syslog / journald (`Dec  3 02:11:47 host app[123]: `, also with an ISO time),
// nginx error logs (`2026/12/03 02:11:47 [error] 123#0: *4 `) and Apache 2.x error logs
// (`[Wed Dec 03 02:11:47.123456 2026] [proxy:error] [pid 123] `). Runs for every line, so it
// compares character codes only and reports positions instead of building strings.
import { apacheTimeEnd, dateTimeEnd, slashDateTimeEnd, syslogTimeEnd } from './timestamp.js';

export interface PrefixScan {
  /** Index where the message text starts (after all recognised prefixes). */
  contentAt: number;
  /** Timestamp position, or -1 when the line has none. */
  tsStart: number;
  tsEnd: number;
  /** App name position: `pm2 logs` prefix (`0|api |`) or syslog tag (`app[123]:`), or -1. */
  appStart: number;
  appEnd: number;
  /** Process id written by syslog, nginx or Apache, or -1. */
  pidStart: number;
  pidEnd: number;
  /** syslog host name, or -1. */
  hostStart: number;
  hostEnd: number;
  /** Level written by nginx / Apache (`error`, `proxy:error`), or -1. */
  levelStart: number;
  levelEnd: number;
}

export function newPrefixScan(): PrefixScan {
  return { contentAt: 0, tsStart: -1, tsEnd: -1, appStart: -1, appEnd: -1, pidStart: -1, pidEnd: -1, hostStart: -1, hostEnd: -1, levelStart: -1, levelEnd: -1 };
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

/**
 * syslog's ` host tag[pid]: ` after its time (at `i`, the space). With `needPid` (after an ISO
 * time, where `2026-… INFO app: text` would look the same) the `[pid]` is required. Returns the
 * index of the message, or -1.
 */
function syslogHeaderEnd(s: string, i: number, end: number, out: PrefixScan, needPid: boolean): number {
  if (s.charCodeAt(i) !== 32) return -1;
  const hostStart = i + 1;
  let j = hostStart;
  const hostLimit = Math.min(end, hostStart + 64);
  while (j < hostLimit) {
    const c = s.charCodeAt(j);
    if (c === 32 || c === 58 || c === 91 || c === 124) break;
    j++;
  }
  if (j === hostStart || s.charCodeAt(j) !== 32) return -1;
  const hostEnd = j;
  const tagStart = j + 1;
  j = tagStart;
  const tagLimit = Math.min(end, tagStart + 64);
  while (j < tagLimit) {
    const c = s.charCodeAt(j);
    if (c === 91 /* [ */ || c === 58 /* : */ || c === 32) break;
    j++;
  }
  if (j === tagStart) return -1;
  const tagEnd = j;
  let pidStart = -1;
  let pidEnd = -1;
  if (s.charCodeAt(j) === 91) {
    pidStart = j + 1;
    j = pidStart;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
    if (j === pidStart || s.charCodeAt(j) !== 93 /* ] */) return -1;
    pidEnd = j;
    j++;
  } else if (needPid) {
    return -1;
  }
  if (s.charCodeAt(j) !== 58 /* : */) return -1;
  j++;
  if (s.charCodeAt(j) === 32) j++;
  out.hostStart = hostStart;
  out.hostEnd = hostEnd;
  out.appStart = tagStart;
  out.appEnd = tagEnd;
  out.pidStart = pidStart;
  out.pidEnd = pidEnd;
  return j;
}

/** nginx after its time: ` [level] pid#tid: ` and an optional `*connection `. Index of the message, or -1. */
function nginxHeaderEnd(s: string, i: number, end: number, out: PrefixScan): number {
  if (s.charCodeAt(i) !== 32 || s.charCodeAt(i + 1) !== 91) return -1;
  const levelStart = i + 2;
  const close = s.indexOf('] ', levelStart);
  if (close < 0 || close - levelStart > 8 || close >= end) return -1;
  let j = close + 2;
  const pidStart = j;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j === pidStart || s.charCodeAt(j) !== 35 /* # */) return -1;
  const pidEnd = j;
  j++;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (s.charCodeAt(j) !== 58 || s.charCodeAt(j + 1) !== 32) return -1;
  j += 2;
  if (s.charCodeAt(j) === 42 /* * */) {
    let k = j + 1;
    while (k < end && isDigit(s.charCodeAt(k))) k++;
    if (k > j + 1 && s.charCodeAt(k) === 32) j = k + 1;
  }
  out.levelStart = levelStart;
  out.levelEnd = close;
  out.pidStart = pidStart;
  out.pidEnd = pidEnd;
  return j;
}

/** Apache after `[date]`: ` [module:level]`, ` [pid N(:tid M)]`, ` [client a:p]`. Index of the message. */
function apacheHeaderEnd(s: string, i: number, end: number, out: PrefixScan): number {
  let j = i;
  for (let field = 0; field < 4 && s.charCodeAt(j) === 32 && s.charCodeAt(j + 1) === 91; field++) {
    const open = j + 2;
    const close = s.indexOf(']', open);
    if (close < 0 || close >= end || close - open > 80) break;
    if (s.startsWith('pid ', open)) {
      let k = open + 4;
      while (k < close && isDigit(s.charCodeAt(k))) k++;
      out.pidStart = open + 4;
      out.pidEnd = k;
    } else if (field === 0) {
      out.levelStart = open;
      out.levelEnd = close;
    } else if (!s.startsWith('client ', open) && !s.startsWith('remote ', open)) {
      break;
    }
    j = close + 1;
  }
  if (s.charCodeAt(j) === 32) j++;
  return j;
}

const inner = newPrefixScan();

/**
 * The message of a syslog line may carry the prefixes of what wrote it (a `pm2 logs` prefix, the
 * app's own timestamp): strip those too; the app name they give wins over the syslog tag.
 */
function syslogMessage(s: string, tsStart: number, tsEnd: number, msg: number, end: number, out: PrefixScan): void {
  out.tsStart = tsStart;
  out.tsEnd = tsEnd;
  out.contentAt = msg;
  const c = s.charCodeAt(msg);
  if (!isDigit(c) && c !== 80 /* P */ && c !== 91 /* [ */ && c !== 27) return;
  scanPrefixes(s, msg, end, inner);
  out.contentAt = inner.contentAt;
  if (inner.appStart >= 0) {
    out.appStart = inner.appStart;
    out.appEnd = inner.appEnd;
  }
}

/** Scan the prefixes of the line `s[start, end)` into `out`. */
export function scanPrefixes(s: string, start: number, end: number, out: PrefixScan): void {
  out.tsStart = -1;
  out.tsEnd = -1;
  out.appStart = -1;
  out.appEnd = -1;
  out.pidStart = -1;
  out.pidEnd = -1;
  out.hostStart = -1;
  out.hostEnd = -1;
  out.levelStart = -1;
  out.levelEnd = -1;
  let i = skipAnsi(s, start, end);
  const c = s.charCodeAt(i);
  // syslog / journald: `Dec  3 02:11:47 host tag[pid]: ` (month names start upper-case)
  if (c >= 65 && c <= 83) {
    const t = syslogTimeEnd(s, i);
    if (t > 0) {
      const msg = syslogHeaderEnd(s, t, end, out, false);
      if (msg > 0) {
        syslogMessage(s, i, t, msg, end, out);
        return;
      }
    }
  }
  // A leading date-time is either the line's own timestamp or, before a `pm2 logs` prefix,
  // the one `pm2 logs --timestamp` adds: find it once and decide.
  let dt = isDigit(c) ? dateTimeEnd(s, i) : -1;
  if (dt > 0 && s.charCodeAt(dt) === 32 && s.charCodeAt(dt + 1) !== 124) {
    // journald `-o short-iso` / rsyslog RFC 3339: `2026-12-03T02:11:47+0000 host tag[pid]: `
    const msg = syslogHeaderEnd(s, dt, end, out, true);
    if (msg > 0) {
      syslogMessage(s, i, dt, msg, end, out);
      return;
    }
  } else if (dt < 0 && isDigit(c) && s.charCodeAt(i + 4) === 47 /* / */) {
    const t = slashDateTimeEnd(s, i);
    const msg = t > 0 ? nginxHeaderEnd(s, t, end, out) : -1;
    if (msg > 0) {
      out.tsStart = i;
      out.tsEnd = t;
      out.contentAt = msg;
      return;
    }
  }
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
    const d = s.charCodeAt(i + 1);
    if (isDigit(d)) {
      const inner = dateTimeEnd(s, i + 1);
      if (inner > 0 && s.charCodeAt(inner) === 93 /* ] */) {
        bracket = 1;
        dt = inner;
      }
    } else if (d >= 70 && d <= 87 /* F..W: a weekday */) {
      const inner = apacheTimeEnd(s, i + 1);
      if (inner > 0 && s.charCodeAt(inner) === 93) {
        out.tsStart = i + 1;
        out.tsEnd = inner;
        out.contentAt = apacheHeaderEnd(s, inner + 1, end, out);
        return;
      }
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
    // `docker logs -t` writes its own RFC 3339 time before the app's: skip the app's too
    if (bracket === 0 && isDigit(s.charCodeAt(i))) {
      const inner = dateTimeEnd(s, i);
      if (inner > 0) {
        i = inner;
        if (s.charCodeAt(i) === 58) i++;
        if (s.charCodeAt(i) === 32) i++;
      }
    }
  }
  out.contentAt = i;
}

const ANSI_GLOBAL = /\x1b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI_GLOBAL, '') : text;
}
