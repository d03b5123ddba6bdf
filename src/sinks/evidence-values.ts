// What rule templates know about an incident beyond its captures, from its IncidentContext
// (correlate/evidence-context.ts): the service's port and whether PM2 runs it, which caused_by
// incidents overlap, the last error before the exits, the rate of a burst and the WebSocket
// handshakes behind it, the process rows of duplicates, the derived pool suggestion. Log values
// stay typed (LogValue): a port is a port, an error line is free text that never enters a command.
// `derived.*` holds only text composed here from numbers, which templates may print as is.
import type { Incident, ProcessRow } from '../model.js';
import { fence } from './markdown-escape.js';
import { poolAdvice } from './pool-advice.js';
import { formatDuration } from './report-format.js';
import { LogValue } from './shell-values.js';

/** A burst this dense (and this long) is a storm of retries, not a handful of races. */
const STORM_MIN_COUNT = 10;
const STORM_MIN_RATE = 2;

function key(rule: string): string {
  return rule.replace(/[^A-Za-z0-9]/g, '_');
}

function rate(n: number, ms: number): string {
  const perSecond = n / Math.max(1, ms / 1000);
  return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1).replace(/\.0$/, '');
}

/** `PID PPID START TTY COMMAND` rows as a fenced block (log text inside a fence its content cannot close). */
export function processTable(rows: ProcessRow[]): string {
  const table = [['PID', 'PPID', 'START', 'TTY', 'COMMAND']];
  for (const r of rows) {
    const parent = r.parent === undefined ? '' : `   ← parent: ${r.parent.slice(0, 80)}`;
    table.push([String(r.pid), r.ppid === undefined ? '?' : String(r.ppid), r.start ?? '?', r.tty ?? '?', `${r.command.slice(0, 120)}${parent}`]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const lines = table.map((row) => row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ').trimEnd());
  return fence(lines.join('\n'), { lang: 'text', whole: true });
}

function processFacts(rows: ProcessRow[] | undefined): Record<string, unknown> | undefined {
  if (!rows || rows.length === 0) return undefined;
  const ppids = new Set(rows.map((r) => r.ppid).filter((p): p is number => p !== undefined));
  const starts = rows.map((r) => r.start).filter((s): s is string => s !== undefined);
  const knowsParents = rows.every((r) => r.ppid !== undefined);
  const shared = knowsParents && ppids.size === 1 ? rows[0] : undefined;
  const orphans = knowsParents && rows.filter((r) => r.ppid === 1).length;
  const parents = [...ppids].filter((p) => p !== 1);
  return {
    table: processTable(rows),
    count: rows.length,
    has_ppid: knowsParents,
    same_parent: shared?.ppid ?? '',
    same_parent_command: shared?.parent === undefined ? '' : new LogValue('parent', 'text', shared.parent),
    detached: orphans !== false && orphans > 0 ? orphans : 0,
    all_detached: orphans !== false && orphans === rows.length,
    same_starter: shared !== undefined && shared.ppid !== 1,
    parent_count: ppids.size,
    other_parents: parents.length,
    distinct_starts: new Set(starts).size,
    one_burst: starts.length === rows.length && new Set(starts).size === 1,
    spread: starts.length > 1 && new Set(starts).size > 1,
    first_start: starts.length > 0 ? new LogValue('start', 'text', [...starts].sort()[0] ?? '') : '',
    last_start: starts.length > 0 ? new LogValue('start', 'text', [...starts].sort().at(-1) ?? '') : '',
  };
}

/** Template values from the incident's context; `{}` for an incident without one (stored before, or watch mode). */
export function evidenceValues(incident: Incident, linked: Incident[]): Record<string, unknown> {
  const ctx = incident.context;
  const first = Date.parse(incident.firstSeen);
  const last = Date.parse(incident.lastSeen);
  const spanMs = Number.isFinite(first) && Number.isFinite(last) ? Math.max(0, last - first) : 0;
  // One entry per cause rule, with every linked incident's services (three duplicate groups are one cause).
  const byRule = new Map<string, { title: string; services: Set<string>; count: number }>();
  for (const l of incident.links) {
    if (l.relation !== 'caused-by') continue;
    const cause = linked.find((i) => i.id === l.id);
    const entry = byRule.get(l.rule) ?? { title: l.title, services: new Set<string>(), count: 0 };
    for (const s of cause?.services ?? []) entry.services.add(s);
    entry.count++;
    byRule.set(l.rule, entry);
  }
  const causes: Record<string, unknown> = {};
  for (const [rule, e] of byRule) {
    causes[key(rule)] = { title: e.title, incidents: e.count, services: new LogValue('services', 'text', [...e.services].join(', ')) };
  }
  const storm =
    incident.count >= STORM_MIN_COUNT && incident.count / Math.max(1, spanMs / 1000) >= STORM_MIN_RATE
      ? { count: incident.count, seconds: Math.max(1, Math.round(spanMs / 1000)), rate: rate(incident.count, spanMs), span: formatDuration(Math.max(1000, spanMs)) }
      : undefined;
  const logFile = incident.files.find((f) => !/(?:^|[\\/])pm2\.log$/.test(f)) ?? incident.files[0];
  const values: Record<string, unknown> = { linked: causes, storm, log_file: logFile === undefined ? '' : new LogValue('log_file', 'path', logFile) };
  const pool = poolAdvice(incident);
  values.derived = {
    pool:
      pool === undefined
        ? undefined
        : {
            limits: pool.limits,
            total: pool.total,
            timeout: pool.timeout,
            stalled: pool.stalled,
            exhausted: pool.exhausted,
            connect_timeout: pool.connectTimeout,
            refused: pool.refused,
            statement_timeout_s: pool.statementTimeoutMs / 1000,
            next_total: pool.nextTotal,
            setting: pool.setting,
            connect_timeout_ms: pool.connectTimeoutMs,
            next_connect_timeout_ms: pool.nextConnectTimeoutMs,
          },
  };
  if (!ctx) return values;

  const facts = ctx.facts;
  const port = facts.ports[0];
  values.app_port = port === undefined ? '' : new LogValue('app_port', 'port', String(port));
  values.app_ports = facts.ports.map((p) => new LogValue('app_port', 'port', String(p)));
  values.under_pm2 = facts.pm2;
  values.pm2_log_read = facts.pm2LogRead;
  values.not_pm2 = !facts.pm2;
  values.snapshot_read = facts.snapshotRead;

  const errors = ctx.lastErrors ?? [];
  const top = errors[0];
  if (top) {
    values.last_error = {
      text: new LogValue('last_error', 'text', top.text),
      block: fence(top.text, { lang: 'text', maxLineChars: 400 }),
      location: new LogValue('location', 'text', `${top.file}:${top.line}`),
      count: top.count,
    };
    values.last_errors = errors.map((e) => ({ text: new LogValue('last_error', 'text', e.text), location: new LogValue('location', 'text', `${e.file}:${e.line}`), count: e.count }));
    values.other_errors = errors.length - 1;
  }
  values.exits = ctx.exits ?? 0;
  values.last_error_by_order = ctx.lastErrorsByOrder === true;

  const s = ctx.sockets;
  if (s) {
    const ms = Date.parse(s.to) - Date.parse(s.from);
    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    values.sockets = {
      connections: s.connections,
      rate: rate(s.connections, ms),
      span: formatDuration(Math.max(1000, ms)),
      peer: new LogValue('peer', 'host', s.peer),
      peer_connections: s.peerConnections,
      one_client: s.peerConnections === s.connections,
      path: new LogValue('path', 'text', s.path),
      rejected,
      rejected_403: s.rejected['403'] ?? 0,
      rejected_404: s.rejected['404'] ?? 0,
      reconnect_loop: s.connections >= STORM_MIN_COUNT && s.connections / Math.max(1, ms / 1000) >= STORM_MIN_RATE,
    };
  }
  const processes = processFacts(ctx.processes);
  if (processes) values.processes = processes;
  return values;
}
