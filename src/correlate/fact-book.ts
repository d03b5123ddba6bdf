// Collects, per service, what the reports say beyond the matches: ports, PM2 exits with the last
// error before each, WebSocket handshakes, logged pool settings, process snapshot rows. Facts that
// do not depend on order (ports, PM2 apps, snapshot rows) are noted as events are built; the others
// come back as a FactNote that the batch driver hands to add() in log-time order across streams
// (merged with the matches), so the last error before an exit is known when the exit is seen and
// the errors need not be kept: a few recent ones per service suffice. Read once at the end of a
// batch run by evidence-context.ts.
import type { LogEvent, ProcessRow } from '../model.js';
import { factsOfText, matchFacts, type Fact } from '../match/facts.js';
import type { FactLine } from '../parse/stream-parser.js';
import { ExitLog, ring } from './exit-log.js';

/** Pool-setting records kept per service (apps print them at start-up). */
const MAX_POOL = 4000;
/** Snapshot rows kept per snapshot file. */
const MAX_ROWS = 4000;
/** Handshakes kept per service; the oldest half goes when full. */
const MAX_HANDSHAKES = 1_000_000;

/** The facts of one event whose meaning depends on what came before them in log time. */
export interface FactNote {
  time: number;
  approx: boolean;
  service: string;
  file: string;
  line: number;
  facts: Fact[];
}


/**
 * Per service, every WebSocket handshake, in columns, in log-time order once read (see range).
 * Peers and paths are kept as read: interning them (a Map lookup per handshake) cost more than
 * the rest of the fact path on the bench log (52,744 distinct peers in 108,152 handshakes).
 */
export class Handshakes {
  times: number[] = [];
  peers: string[] = [];
  paths: string[] = [];
  /** The refusal's HTTP status (403, 404, 5xx), 0 for an accepted handshake. */
  refused: number[] = [];
  private sorted = true;

  add(time: number, peer: string, path: string, refused: number): void {
    if (this.times.length >= MAX_HANDSHAKES) {
      const half = MAX_HANDSHAKES / 2;
      this.times = this.times.slice(half);
      this.peers = this.peers.slice(half);
      this.paths = this.paths.slice(half);
      this.refused = this.refused.slice(half);
    }
    if (time < (this.times[this.times.length - 1] ?? -Infinity)) this.sorted = false;
    this.times.push(time);
    this.peers.push(peer);
    this.paths.push(path);
    this.refused.push(refused);
  }

  /** Indices [lo, hi) of the handshakes from `from` to `to` (inclusive). */
  range(from: number, to: number): [number, number] {
    if (!this.sorted) this.sort();
    return [lowerBound(this.times, from), lowerBound(this.times, to, true)];
  }

  // arrival is time order but for lines of one file out of order: sorted once, stably, at the first query
  private sort(): void {
    const order = this.times.map((_, i) => i).sort((a, b) => (this.times[a] ?? 0) - (this.times[b] ?? 0) || a - b);
    const pick = <T>(col: T[], none: T): T[] => order.map((i) => col[i] ?? none);
    this.times = pick(this.times, 0);
    this.peers = pick(this.peers, '');
    this.paths = pick(this.paths, '');
    this.refused = pick(this.refused, 0);
    this.sorted = true;
  }
}

/** The first index whose value is >= x (> x with `after`) in an ascending array. */
function lowerBound(a: number[], x: number, after = false): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid] ?? 0;
    if (v < x || (after && v === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// PM2 names log files after the app with everything but [A-Za-z0-9.-] replaced by '-'.
function pm2Key(app: string): string {
  return app.replace(/[^a-zA-Z0-9.-]/g, '-');
}

/** App names whose pm2Key is kept: a crash loop names the same few apps on every exit. */
const MAX_APP_KEYS = 1000;

const PM2_LOGS_PREFIX = /^\d+\|[^|\n]{1,64}\|/;

/** Is this fact one whose meaning depends on log-time order (note() hands it to add())? */
function isTimed(fact: Fact, daemon: boolean): boolean {
  return fact.kind === 'exit' || fact.kind === 'ws-access' || (!daemon && (fact.kind === 'error' || fact.kind === 'pool'));
}

export class FactBook {
  readonly ports = new Map<string, Map<number, number>>();
  readonly pm2Apps = new Set<string>();
  pm2LogRead = false;
  /** By service, and by PM2 app name as PM2 names its log files. */
  readonly exits = new Map<string, ExitLog>();
  readonly handshakes = new Map<string, Handshakes>();
  readonly pool = new Map<string, Array<{ time: number; settings: Record<string, number> }>>();
  /** Snapshot file → PID → row. */
  readonly processes = new Map<string, Map<number, ProcessRow>>();
  /** The app of the last exit noted: its names are in pm2Apps. */
  private lastApp: string | undefined;
  /** The exit log of the last service an error was added for. */
  private lastService: string | undefined;
  private lastServiceLog: ExitLog | undefined;
  /** pm2Key per app name (a regex replace per exit was 2% of an all-matching run). */
  private readonly appKeys = new Map<string, string>();
  /** A fact list with some facts that are not timed → those that are, per list (repeated lines share their list). */
  private readonly timedOf = [new WeakMap<Fact[], Fact[]>(), new WeakMap<Fact[], Fact[]>()];

  /**
   * Every event the parser built, once, after its time is known. `daemon`: it is from PM2's own
   * log; `hot`: the prefilter's class bits (see matchFacts). Returns the facts to add() in time order.
   * `facts`: matchFacts(event, hot) when the caller has it already (a repeated line's).
   */
  note(event: LogEvent, daemon: boolean, hot?: number, facts?: Fact[]): FactNote | undefined {
    if (event.kind === 'ps') {
      this.noteProcess(event);
      return undefined;
    }
    if (daemon) this.pm2LogRead = true;
    // `pm2 logs` output (`0|api | ...`), or PM2's JSON log format (`"app_name": "api"`); a
    // service already known needs no test
    if (!daemon && !this.pm2Apps.has(event.service) && (PM2_LOGS_PREFIX.test(event.raw) || event.fields?.app_name !== undefined)) this.pm2Apps.add(event.service);
    const all = facts ?? matchFacts(event, hot);
    return this.collect(all, daemon, facts !== undefined, event.service, event.time ?? 0, event.timeApprox, event.file, event.line);
  }

  /** A one-line event the parser did not build (see FactLine): what note() does with it, built. */
  noteLine(line: FactLine): FactNote | undefined {
    // fields (`app_name`) come from JSON lines and host prefixes, which are always built
    if (!this.pm2Apps.has(line.service) && PM2_LOGS_PREFIX.test(line.raw)) this.pm2Apps.add(line.service);
    return this.collect(factsOfText(line.text, line.hot), false, false, line.service, line.time, false, line.file, line.line);
  }

  /** Notes the facts that do not depend on order; returns the timed ones. `shared`: `all` is a caller's list (a repeated line's). */
  private collect(all: Fact[], daemon: boolean, shared: boolean, service: string, time: number, approx: boolean, file: string, line: number): FactNote | undefined {
    let timed = 0;
    for (const fact of all) {
      switch (fact.kind) {
        case 'port': {
          if (daemon) break;
          let counts = this.ports.get(service);
          if (!counts) this.ports.set(service, (counts = new Map()));
          counts.set(fact.port, (counts.get(fact.port) ?? 0) + 1);
          break;
        }
        case 'pm2-app':
          if (daemon) {
            this.pm2Apps.add(pm2Key(fact.app));
            this.pm2Apps.add(fact.app);
          }
          break;
        case 'exit':
          // a crash loop names the same app on every exit: added once
          if (fact.app !== this.lastApp) {
            this.pm2Apps.add(this.pm2Key(fact.app));
            this.pm2Apps.add(fact.app);
            this.lastApp = fact.app;
          }
          timed++;
          break;
        case 'error':
        case 'pool':
          if (!daemon) timed++;
          break;
        case 'ws-access':
          timed++;
          break;
      }
    }
    if (timed === 0) return undefined;
    // the list itself when every fact in it is timed, else its timed facts, made once per list:
    // no new array per event (a repeated line shares its first repeat's list; add() only reads)
    let list = all;
    if (timed < all.length) {
      // kept only for a caller's list (a repeated line's): a list of its own is seen once
      const known = shared ? this.timedOf[daemon ? 1 : 0] : undefined;
      const kept = known?.get(all);
      list = kept ?? all.filter((f) => isTimed(f, daemon));
      if (!kept) known?.set(all, list);
    }
    return { time, approx, service, file, line, facts: list };
  }

  /** The facts of one note, in log-time order across all streams. */
  add(note: FactNote): void {
    for (const fact of note.facts) {
      switch (fact.kind) {
        case 'exit':
          this.exitLog(this.pm2Key(fact.app)).exit(note.time);
          break;
        case 'error':
          this.exitLog(note.service, true).error({ time: note.time, approx: note.approx, file: note.file, line: note.line, text: fact.text });
          break;
        case 'ws-access': {
          let h = this.handshakes.get(note.service);
          if (!h) this.handshakes.set(note.service, (h = new Handshakes()));
          h.add(note.time, fact.peer, fact.path, /^[45]\d\d$/.test(fact.status) ? Number(fact.status) : 0);
          break;
        }
        case 'pool': {
          let list = this.pool.get(note.service);
          if (!list) this.pool.set(note.service, (list = []));
          ring(list, { time: note.time, settings: fact.settings }, MAX_POOL);
          break;
        }
        default:
          break;
      }
    }
  }

  private pm2Key(app: string): string {
    let key = this.appKeys.get(app);
    if (key === undefined) {
      if (this.appKeys.size >= MAX_APP_KEYS) this.appKeys.clear();
      this.appKeys.set(app, (key = pm2Key(app)));
    }
    return key;
  }

  /** `service`: the key is a service (errors come from one service's log, mostly: its last log is kept at hand). */
  private exitLog(key: string, service = false): ExitLog {
    if (service && key === this.lastService && this.lastServiceLog) return this.lastServiceLog;
    let log = this.exits.get(key);
    if (!log) this.exits.set(key, (log = new ExitLog()));
    if (service) {
      this.lastService = key;
      this.lastServiceLog = log;
    }
    return log;
  }

  private noteProcess(event: LogEvent): void {
    const pid = event.pid;
    if (pid === undefined) return;
    let rows = this.processes.get(event.file);
    if (!rows) this.processes.set(event.file, (rows = new Map()));
    if (rows.size >= MAX_ROWS) return;
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
