// Decide, per incident, what the rest of the logs say about it (IncidentContext): the service's
// ports and whether PM2 runs it, the last error before each PM2 exit, the WebSocket handshakes
// during it, and the process-snapshot rows of its PIDs. Reports then state these instead of
// "if ... then ...". Runs once per incident after correlation, never per line.
import type { Incident, IncidentContext, ProcessRow, QuotedLine, ServiceFacts, SocketAccess } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import { EXIT_SLACK_MS, type TimedError } from './exit-log.js';
import type { FactBook } from './fact-book.js';

/** Exits this far around an incident still belong to it. */
const AROUND_MS = 60_000;
/** Handshakes this far around an incident still belong to it. */
const SOCKETS_AROUND_MS = 5000;
const MAX_QUOTED = 3;
const MAX_PROCESSES = 30;

function serviceFacts(book: FactBook, services: string[], before: number, pm2Knows: (s: string) => boolean): ServiceFacts {
  const counts = new Map<number, number>();
  for (const s of services) for (const [port, n] of book.ports.get(s) ?? []) counts.set(port, (counts.get(port) ?? 0) + n);
  const ports = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([p]) => p);
  let poolSettings: Record<string, number> = {};
  for (const s of services) {
    for (const rec of book.pool.get(s) ?? []) if (rec.time <= before + EXIT_SLACK_MS) poolSettings = { ...poolSettings, ...rec.settings };
  }
  return {
    ports,
    pm2: services.some((s) => book.pm2Apps.has(s) || pm2Knows(s)),
    pm2LogRead: book.pm2LogRead,
    snapshotRead: book.processes.size > 0,
    poolSettings,
  };
}

function quote(e: TimedError, count: number): QuotedLine {
  return { file: e.file, line: e.line, text: e.text, time: new Date(e.time).toISOString(), count };
}

/**
 * The last error before each exit of the services during the incident, grouped by text. The
 * book paired each exit with its last error as the logs were read (exit-log.ts).
 */
function lastErrors(book: FactBook, incident: Incident, first: number, last: number): Pick<IncidentContext, 'lastErrors' | 'exits' | 'lastErrorsByOrder'> {
  let exits = 0;
  let errors = 0;
  let approx = false;
  const byOrder: TimedError[] = [];
  const before: Array<{ error: TimedError; count: number }> = [];
  for (const s of incident.services) {
    const log = book.exits.get(s);
    if (!log) continue;
    errors += log.errors;
    approx ||= log.approx;
    byOrder.push(...log.byOrder);
    const found = log.exitsIn(first - AROUND_MS, last + AROUND_MS);
    exits += found.count;
    before.push(...found.byError);
  }
  if (exits === 0 || errors === 0) return {};
  // Times estimated from a file's mtime cannot be compared with PM2's real exit times: then the
  // last errors the app logged are the best evidence, taken in file order.
  if (approx) {
    const tail = byOrder.slice(-exits);
    return { lastErrors: group(tail.map((error) => ({ error, count: 1 }))), exits, lastErrorsByOrder: true };
  }
  if (before.length === 0) return { exits };
  return { lastErrors: group(before), exits };
}

function group(errors: Array<{ error: TimedError; count: number }>): QuotedLine[] {
  const byText = new Map<string, { last: TimedError; count: number }>();
  for (const { error, count } of errors) {
    const g = byText.get(error.text);
    if (!g) byText.set(error.text, { last: error, count });
    else {
      g.count += count;
      if (error.time >= g.last.time) g.last = error;
    }
  }
  return [...byText.values()]
    .sort((a, b) => b.count - a.count || b.last.time - a.last.time)
    .slice(0, MAX_QUOTED)
    .map((g) => quote(g.last, g.count));
}

function sockets(book: FactBook, incident: Incident, first: number, last: number): SocketAccess | undefined {
  const from = first - SOCKETS_AROUND_MS;
  const to = last + SOCKETS_AROUND_MS;
  let connections = 0;
  let min = Infinity;
  let max = -Infinity;
  const peers = new Map<string, number>();
  const paths = new Map<string, number>();
  const rejected: Record<string, number> = {};
  for (const s of incident.services) {
    const h = book.handshakes.get(s);
    if (!h) continue;
    const [lo, hi] = h.range(from, to);
    for (let i = lo; i < hi; i++) {
      const t = h.times[i] ?? 0;
      connections++;
      if (t < min) min = t;
      if (t > max) max = t;
      const peer = h.peers[i] ?? '';
      const path = h.paths[i] ?? '';
      peers.set(peer, (peers.get(peer) ?? 0) + 1);
      paths.set(path, (paths.get(path) ?? 0) + 1);
      const refused = h.refused[i] ?? 0;
      if (refused !== 0) rejected[refused] = (rejected[refused] ?? 0) + 1;
    }
  }
  if (connections === 0) return undefined;
  const top = (counts: Map<string, number>): [string, number] => {
    let best = '';
    let n = 0;
    for (const [id, c] of counts) {
      if (c > n) {
        best = id;
        n = c;
      }
    }
    return [best, n];
  };
  const [peer, peerConnections] = top(peers);
  const [path] = top(paths);
  return { connections, from: new Date(min).toISOString(), to: new Date(max).toISOString(), peer, peerConnections, path, rejected };
}

function processes(book: FactBook, incident: Incident): ProcessRow[] | undefined {
  const pids = new Set((incident.captureValues.pid ?? []).map(Number));
  if (pids.size === 0) return undefined;
  const rows: ProcessRow[] = [];
  for (const file of incident.files) {
    const table = book.processes.get(file);
    if (!table) continue;
    for (const pid of pids) {
      const row = table.get(pid);
      if (!row) continue;
      const parent = row.ppid === undefined ? undefined : table.get(row.ppid)?.command;
      rows.push({ ...row, ...(parent !== undefined ? { parent } : {}) });
    }
  }
  if (rows.length === 0) return undefined;
  return rows.sort((a, b) => a.pid - b.pid).slice(0, MAX_PROCESSES);
}

/** A rule's texts read the handshakes (`{{sockets.rate}}`, `{{#if sockets}}`). */
const READS_SOCKETS = /\bsockets(?:\.|\s*}})/;

/**
 * Every incident with its context; `pm2Knows` says whether PM2's daemon log names a service.
 * The handshakes are counted only for incidents of rules whose texts read them (`rules`; all when
 * absent): on a log with a handshake every few seconds their windows hold most of the log.
 */
export function attachContexts(incidents: Incident[], book: FactBook, pm2Knows: (service: string) => boolean, rules?: readonly CompiledRule[]): Incident[] {
  const readsSockets = rules ? new Set(rules.filter((r) => READS_SOCKETS.test(JSON.stringify(r.spec))).map((r) => r.spec.id)) : undefined;
  return incidents.map((incident) => {
    const first = Date.parse(incident.firstSeen);
    const last = Date.parse(incident.lastSeen);
    const context: IncidentContext = {
      facts: serviceFacts(book, incident.services, first, pm2Knows),
      ...lastErrors(book, incident, first, last),
    };
    const socketAccess = readsSockets === undefined || readsSockets.has(incident.rule) ? sockets(book, incident, first, last) : undefined;
    if (socketAccess) context.sockets = socketAccess;
    const rows = processes(book, incident);
    if (rows) context.processes = rows;
    return { ...incident, context };
  });
}
