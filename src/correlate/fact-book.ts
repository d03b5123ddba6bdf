// Collects, per service, the facts match/facts.ts finds in built events (ports, PM2 exits, error
// lines, WebSocket handshakes, logged pool settings) and the rows of process snapshots. Memory is
// bounded: a ring of recent records per service and kind. Read once at the end of a batch run by
// evidence-context.ts to decide the conditional sentences of each incident's report.
import type { LogEvent, ProcessRow } from '../model.js';
import { matchFacts } from '../match/facts.js';

/** Records kept per service and kind; older ones are dropped first. */
const RING = 4000;

export interface TimedError {
  time: number;
  approx: boolean;
  file: string;
  line: number;
  text: string;
}

export interface TimedAccess {
  time: number;
  peer: string;
  path: string;
  status: string;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(value);
  if (list.length > RING * 1.25) list.splice(0, list.length - RING);
}

// PM2 names log files after the app with everything but [A-Za-z0-9.-] replaced by '-'.
function pm2Key(app: string): string {
  return app.replace(/[^a-zA-Z0-9.-]/g, '-');
}

export class FactBook {
  readonly ports = new Map<string, Map<number, number>>();
  readonly pm2Apps = new Set<string>();
  pm2LogRead = false;
  readonly exits = new Map<string, number[]>();
  readonly errors = new Map<string, TimedError[]>();
  readonly access = new Map<string, TimedAccess[]>();
  readonly pool = new Map<string, Array<{ time: number; settings: Record<string, number> }>>();
  /** Snapshot file → PID → row. */
  readonly processes = new Map<string, Map<number, ProcessRow>>();

  /** Every event the parser built, once, after its time is known. `daemon`: it is from PM2's own log. */
  note(event: LogEvent, daemon: boolean): void {
    if (event.kind === 'ps') {
      this.noteProcess(event);
      return;
    }
    if (daemon) this.pm2LogRead = true;
    // `pm2 logs` output (`0|api | ...`), or PM2's JSON log format (`"app_name": "api"`)
    if (!daemon && (/^\d+\|[^|\n]{1,64}\|/.test(event.raw) || event.fields?.app_name !== undefined)) this.pm2Apps.add(event.service);
    const time = event.time ?? 0;
    for (const fact of matchFacts(event)) {
      switch (fact.kind) {
        case 'port': {
          if (daemon) break;
          let counts = this.ports.get(event.service);
          if (!counts) this.ports.set(event.service, (counts = new Map()));
          counts.set(fact.port, (counts.get(fact.port) ?? 0) + 1);
          break;
        }
        case 'exit':
          this.pm2Apps.add(pm2Key(fact.app));
          this.pm2Apps.add(fact.app);
          push(this.exits, pm2Key(fact.app), time);
          break;
        case 'pm2-app':
          if (daemon) {
            this.pm2Apps.add(pm2Key(fact.app));
            this.pm2Apps.add(fact.app);
          }
          break;
        case 'error':
          if (!daemon) push(this.errors, event.service, { time, approx: event.timeApprox, file: event.file, line: event.line, text: fact.text });
          break;
        case 'ws-access':
          push(this.access, event.service, { time, peer: fact.peer, path: fact.path, status: fact.status });
          break;
        case 'pool':
          if (!daemon) push(this.pool, event.service, { time, settings: fact.settings });
          break;
      }
    }
  }

  private noteProcess(event: LogEvent): void {
    const pid = event.pid;
    if (pid === undefined) return;
    let rows = this.processes.get(event.file);
    if (!rows) this.processes.set(event.file, (rows = new Map()));
    if (rows.size >= RING) return;
    const f = event.fields ?? {};
    const ppid = Number(f.ppid);
    rows.set(pid, {
      pid,
      ppid: f.ppid !== undefined && Number.isInteger(ppid) ? ppid : undefined,
      start: f.lstart ?? f.start ?? f.started,
      tty: f.tty ?? f.tt,
      command: event.text,
    });
  }
}
