// Collects, per service, what the reports say beyond the matches: ports, PM2 exits with the last
// error before each, WebSocket handshakes, logged pool settings, process snapshot rows. Facts that
// do not depend on order (ports, PM2 apps, snapshot rows) are noted as events are built; the others
// come back as a FactNote that the batch driver hands to add() in log-time order across streams
// (merged with the matches), so the last error before an exit is known when the exit is seen and
// the errors need not be kept: a few recent ones per service suffice. Read once at the end of a
// batch run by evidence-context.ts.
import type { LogEvent, ProcessRow } from '../model.js';
import { matchFacts, type Fact } from '../match/facts.js';

/** A PM2 exit line has second resolution; an app's error a few ms "after" it is still before it. */
export const EXIT_SLACK_MS = 1000;
/** An error this long before an exit is too old to be why it exited. */
export const ERROR_BEFORE_EXIT_MS = 60_000;
/** Timed errors kept per service to pair with exits seen next (more than one: streams interleave by chunk). */
const RECENT_ERRORS = 16;
/** Errors kept per service in arrival order, for logs whose times are estimated (matched to exits by order). */
const BY_ORDER = 256;
/** Pool-setting records kept per service (apps print them at start-up). */
const MAX_POOL = 4000;
/** Snapshot rows kept per snapshot file. */
const MAX_ROWS = 4000;
/** Handshakes kept per service; the oldest half goes when full. */
const MAX_HANDSHAKES = 1_000_000;

export interface TimedError {
  time: number;
  approx: boolean;
  file: string;
  line: number;
  text: string;
}

/** The facts of one event whose meaning depends on what came before them in log time. */
export interface FactNote {
  time: number;
  approx: boolean;
  service: string;
  file: string;
  line: number;
  facts: Fact[];
}

/** Distinct error texts and file names kept, per service; past this, texts are stored unshared. */
const MAX_INTERNED = 100_000;

/**
 * Per service (PM2 app): its exits, each with the last error before it, and recent errors. The
 * pairs are kept in columns of numbers with the texts and files interned: a crash loop of days has
 * millions of exits, each paired with its own error line but a few distinct texts, and one object
 * per pair (the text a slice of its event) was ~100 bytes an exit (issue 7's RSS bar).
 */
export class ExitLog {
  readonly times: number[] = [];
  /** Per exit, its last error (within ERROR_BEFORE_EXIT_MS): text id (-1: none), time, file id, line. */
  private readonly errText: number[] = [];
  private readonly errTime: number[] = [];
  private readonly errFile: number[] = [];
  private readonly errLine: number[] = [];
  private readonly texts: string[] = [];
  private readonly textIds = new Map<string, number>();
  private readonly files: string[] = [];
  private readonly fileIds = new Map<string, number>();
  /** Errors noted, timed or not. */
  errors = 0;
  /** Some error's time was estimated: reports then match errors to exits by order. */
  approx = false;
  /** The latest errors in arrival order (by order), and the latest timed ones (for pairing). */
  readonly byOrder: TimedError[] = [];
  private readonly recent: TimedError[] = [];
  /** Exits whose slack after them has not passed yet: an error up to EXIT_SLACK_MS later may still come. */
  private pending: number[] = [];

  exit(time: number): void {
    let best: TimedError | undefined;
    for (const e of this.recent) if (fits(e, time) && (best === undefined || e.time >= best.time)) best = e;
    this.pending = this.pending.filter((i) => (this.times[i] ?? 0) + EXIT_SLACK_MS >= time);
    this.pending.push(this.times.length);
    this.times.push(time);
    this.errText.push(-1);
    this.errTime.push(0);
    this.errFile.push(0);
    this.errLine.push(0);
    if (best) this.pair(this.times.length - 1, best);
  }

  /** The last error logged before exit `i`, if any. */
  lastError(i: number): TimedError | undefined {
    const text = this.errText[i] ?? -1;
    if (text < 0) return undefined;
    return { time: this.errTime[i] ?? 0, approx: false, file: this.files[this.errFile[i] ?? 0] ?? '', line: this.errLine[i] ?? 0, text: this.texts[text] ?? '' };
  }

  private pair(i: number, e: TimedError): void {
    this.errText[i] = intern(this.texts, this.textIds, e.text);
    this.errTime[i] = e.time;
    this.errFile[i] = intern(this.files, this.fileIds, e.file);
    this.errLine[i] = e.line;
  }

  error(e: TimedError): void {
    this.errors++;
    if (e.approx) this.approx = true;
    ring(this.byOrder, e, BY_ORDER);
    if (e.approx) return;
    ring(this.recent, e, RECENT_ERRORS);
    if (this.pending.length === 0) return;
    this.pending = this.pending.filter((i) => (this.times[i] ?? 0) + EXIT_SLACK_MS >= e.time);
    for (const i of this.pending) {
      const paired = (this.errText[i] ?? -1) >= 0;
      if (fits(e, this.times[i] ?? 0) && (!paired || e.time >= (this.errTime[i] ?? 0))) this.pair(i, e);
    }
  }
}

/** The id of `value` in `list`; a new value is stored as a flat copy (never a slice keeping its event's text alive). */
function intern(list: string[], ids: Map<string, number>, value: string): number {
  const known = ids.get(value);
  if (known !== undefined) return known;
  const copy = Buffer.from(value, 'utf8').toString('utf8');
  list.push(copy);
  if (ids.size < MAX_INTERNED) ids.set(copy, list.length - 1);
  return list.length - 1;
}

function fits(e: TimedError, exit: number): boolean {
  return e.time <= exit + EXIT_SLACK_MS && exit - e.time <= ERROR_BEFORE_EXIT_MS;
}

function ring<T>(list: T[], value: T, max: number): void {
  list.push(value);
  if (list.length > max * 2) list.splice(0, list.length - max);
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

const PM2_LOGS_PREFIX = /^\d+\|[^|\n]{1,64}\|/;

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

  /**
   * Every event the parser built, once, after its time is known. `daemon`: it is from PM2's own
   * log; `hot`: the prefilter's class bits (see matchFacts). Returns the facts to add() in time order.
   */
  note(event: LogEvent, daemon: boolean, hot?: number): FactNote | undefined {
    if (event.kind === 'ps') {
      this.noteProcess(event);
      return undefined;
    }
    if (daemon) this.pm2LogRead = true;
    // `pm2 logs` output (`0|api | ...`), or PM2's JSON log format (`"app_name": "api"`)
    if (!daemon && (PM2_LOGS_PREFIX.test(event.raw) || event.fields?.app_name !== undefined)) this.pm2Apps.add(event.service);
    let timed: Fact[] | undefined;
    for (const fact of matchFacts(event, hot)) {
      switch (fact.kind) {
        case 'port': {
          if (daemon) break;
          let counts = this.ports.get(event.service);
          if (!counts) this.ports.set(event.service, (counts = new Map()));
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
          this.pm2Apps.add(pm2Key(fact.app));
          this.pm2Apps.add(fact.app);
          (timed ??= []).push(fact);
          break;
        case 'error':
        case 'pool':
          if (!daemon) (timed ??= []).push(fact);
          break;
        case 'ws-access':
          (timed ??= []).push(fact);
          break;
      }
    }
    if (timed === undefined) return undefined;
    return { time: event.time ?? 0, approx: event.timeApprox, service: event.service, file: event.file, line: event.line, facts: timed };
  }

  /** The facts of one note, in log-time order across all streams. */
  add(note: FactNote): void {
    for (const fact of note.facts) {
      switch (fact.kind) {
        case 'exit':
          this.exitLog(pm2Key(fact.app)).exit(note.time);
          break;
        case 'error':
          this.exitLog(note.service).error({ time: note.time, approx: note.approx, file: note.file, line: note.line, text: fact.text });
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

  private exitLog(key: string): ExitLog {
    let log = this.exits.get(key);
    if (!log) this.exits.set(key, (log = new ExitLog()));
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
