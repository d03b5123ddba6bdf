// Build a LogEvent from the raw lines of one event: strip each line's prefixes, read the
// timestamp, the PM2 app name and JSON fields. Runs only for events the prefilter marked, so
// it can afford strings and regexes.
import type { LogEvent } from '../model.js';
import { newPrefixScan, scanPrefixes, stripAnsi } from './prefix.js';
import { parseJsonTime, parseTimestamp } from './timestamp.js';

/** Cap on one event's text: enough for any stack trace we report, bounded for hostile input. */
export const MAX_EVENT_CHARS = 32 * 1024;

const scan = newPrefixScan();

export interface EventSource {
  file: string;
  line: number;
  service: string;
}

export interface BuiltEvent {
  event: LogEvent;
  /** The event carried its own timestamp. */
  ownTime: boolean;
}

export function buildEvent(raw: string, src: EventSource): BuiltEvent {
  const body = raw.length > MAX_EVENT_CHARS ? raw.slice(0, MAX_EVENT_CHARS) : raw;
  const lines = body.split('\n');
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const texts: string[] = [];
  let time: number | undefined;
  let service = src.service;
  let pid: number | undefined;
  let level: string | undefined;
  let host: string | undefined;
  let fields: Record<string, string> | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    lines[i] = line;
    scanPrefixes(line, 0, line.length, scan);
    const content = stripAnsi(line.slice(scan.contentAt));
    if (i === 0) {
      if (scan.appStart >= 0) service = line.slice(scan.appStart, scan.appEnd);
      if (scan.tsStart >= 0) time = parseTimestamp(line.slice(scan.tsStart, scan.tsEnd));
      if (scan.pidStart >= 0 && scan.pidEnd > scan.pidStart) pid = Number(line.slice(scan.pidStart, scan.pidEnd));
      if (scan.levelStart >= 0) level = line.slice(scan.levelStart, scan.levelEnd);
      if (scan.hostStart >= 0) {
        host = line.slice(scan.hostStart, scan.hostEnd);
        fields = { host };
      }
      const json = content.charCodeAt(0) === 123 ? parseJsonLine(content) : undefined;
      if (json) {
        time ??= json.time;
        if (json.service) service = json.service;
        pid = json.pid ?? pid;
        level = json.level ?? level;
        fields = fields ? { ...fields, ...json.fields } : json.fields;
        // pino/bunyan `hostname`; a JSON `host` is often a request's Host header, not the box
        if (json.fields.hostname) host = json.fields.hostname;
        texts.push(json.text);
        continue;
      }
      const nodePid = content.charCodeAt(0) === 40 /* ( */ ? /^\(node:(\d+)\)/.exec(content) : null;
      if (nodePid) pid = Number(nodePid[1]);
    }
    texts.push(content);
  }
  const event: LogEvent = {
    kind: 'log',
    file: src.file,
    line: src.line,
    lineCount: lines.length,
    text: texts.length === 1 ? (texts[0] ?? '') : texts.join('\n'),
    raw: lines.length === 1 ? (lines[0] ?? '') : lines.join('\n'),
    time,
    timeApprox: false,
    service,
    pid,
    level,
    fields,
    repeatOf: undefined,
  };
  // assigned, not spread into the literal: a spread made every event a slow-path object copy
  if (host !== undefined && host !== '') event.host = host;
  return { event, ownTime: time !== undefined };
}

/**
 * `template` again, at another line and time: the crash-loop fast path (repeat-lines.ts). Same
 * properties in the same order as buildEvent's (then stampScope's), so both share one shape.
 */
export function repeatEvent(template: LogEvent, line: number, time: number, raw: string): LogEvent {
  const event: LogEvent = {
    kind: template.kind,
    file: template.file,
    line,
    lineCount: 1,
    text: template.text,
    raw,
    time,
    timeApprox: false,
    service: template.service,
    pid: template.pid,
    level: template.level,
    fields: template.fields,
    repeatOf: template,
  };
  if (template.host !== undefined) event.host = template.host;
  if (template.scope !== undefined) event.scope = template.scope;
  return event;
}

interface JsonLine {
  text: string;
  time: number | undefined;
  service: string | undefined;
  pid: number | undefined;
  level: string | undefined;
  fields: Record<string, string>;
}

// `MESSAGE` and the `__REALTIME_TIMESTAMP`/`SYSLOG_IDENTIFIER`/`_PID` below: `journalctl -o json` saved to a file
const MESSAGE_KEYS = ['msg', 'message', 'MESSAGE', 'event', 'error', 'err', 'stack', 'exc_info', 'exc', 'exception'];
const TIME_KEYS = ['time', 'timestamp', '@timestamp', 'ts', 'date'];

/** pino / winston / structlog-JSON / PM2 `log_type: json` lines → message text and fields. */
export function parseJsonLine(content: string): JsonLine | undefined {
  const trimmed = content.trimEnd();
  if (!trimmed.endsWith('}')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const parts: string[] = [];
  for (const key of MESSAGE_KEYS) {
    const v = value[key];
    if (typeof v === 'string' && v) parts.push(v);
    else if (isRecord(v)) {
      // pino serialises errors as {type, message, stack}; the stack already starts with the message
      const stack = typeof v.stack === 'string' ? v.stack : undefined;
      const message = typeof v.message === 'string' ? v.message : undefined;
      if (stack) parts.push(stack);
      else if (message) parts.push(message);
    }
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = String(v);
  }
  let time: number | undefined;
  for (const key of TIME_KEYS) {
    if (value[key] !== undefined) {
      time = parseJsonTime(value[key]);
      if (time !== undefined) break;
    }
  }
  const journalMicros = value.__REALTIME_TIMESTAMP;
  if (time === undefined && typeof journalMicros === 'string' && /^\d{1,20}$/.test(journalMicros)) time = Math.floor(Number(journalMicros) / 1000);
  const journalPid = typeof value._PID === 'string' && /^\d{1,10}$/.test(value._PID) ? Number(value._PID) : undefined;
  const pidValue = value.pid ?? value.process_id ?? journalPid;
  const levelValue = value.level ?? value.severity;
  const serviceValue = value.app_name ?? value.service ?? value.SYSLOG_IDENTIFIER ?? value._SYSTEMD_UNIT;
  // PM2 `log_type: json` wraps the app's raw line in "message"; strip its trailing newline
  const text = parts.length ? parts.join('\n').replace(/\n+$/, '') : trimmed;
  return {
    text,
    time,
    service: typeof serviceValue === 'string' && serviceValue ? serviceValue : undefined,
    pid: typeof pidValue === 'number' ? pidValue : undefined,
    level: typeof levelValue === 'string' || typeof levelValue === 'number' ? String(levelValue) : undefined,
    fields,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
