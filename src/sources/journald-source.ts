// The systemd journal as a live source (watch --journald [unit…]): `journalctl -o json -f`
// spawned with an argv array (never a shell), each record parsed by journald-record.ts. The
// journal keeps one record per line of a stream, so MESSAGE texts are fed per service through the
// parser's multi-line joining, as the lines of a file would be.
//
// Checkpoint = journald's `__CURSOR` of the last record handed to the parser, plus the records of
// events still being built (their texts, per service): a restart replays those and then runs
// `journalctl --after-cursor <cursor>`, so no record is lost or matched twice, even after kill -9.
// A first start asks for the newest record's cursor (`-n 1`) and follows after it, so that the
// starting point is saved before onReady and nothing written after it is missed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { SavedPosition } from '../model.js';
import { parseJournalLine } from './journald-record.js';
import type { Source, SourceCheckpoint, SourceHost } from './source.js';
import { UNIT_NAME } from '../text/unit-name.js';

/** journald streams get ids from here down (negative: never the file source's 1, 2, …). */
const FIRST_STREAM_ID = -1000;
/** journalctl ended on its own: started again after this long (ms). */
const RESTART_AFTER_MS = 5000;
/** Lines read but not yet processed before journalctl's output is paused. */
const MAX_QUEUED_LINES = 2000;
/** Records of open events kept in a checkpoint, at most (an event is far smaller). */
const MAX_PENDING = 5000;
/** Saved records are replayed with journalctl's first record, or after this long without one (ms). */
const REPLAY_WITHOUT_RECORDS_MS = 1000;

export interface JournaldOptions {
  /** The journalctl program (an absolute path found in PATH's absolute folders). */
  journalctl: string;
  /** Units to follow (`-u`); none = the whole journal the user may read. */
  units: string[];
  /** On a first start, read the journal from its beginning instead of its end. */
  fromStart: boolean;
}

interface Pending {
  service: string;
  text: string;
  /** `__REALTIME_TIMESTAMP` in ms (absent in checkpoints written before it was kept). */
  time?: number;
}

interface JournaldState {
  cursor?: string;
  pending?: Pending[];
}

function isJournaldState(v: unknown): v is JournaldState {
  if (typeof v !== 'object' || v === null) return false;
  const cursor: unknown = 'cursor' in v ? v.cursor : undefined;
  return cursor === undefined || typeof cursor === 'string';
}

function isPending(v: unknown): v is Pending {
  if (typeof v !== 'object' || v === null) return false;
  const time: unknown = 'time' in v ? v.time : undefined;
  return 'service' in v && typeof v.service === 'string' && 'text' in v && typeof v.text === 'string' && (time === undefined || Number.isFinite(time));
}

interface ServiceStream {
  id: number;
  end: number;
  /** Records delivered in this stream whose event may still be open: [start, end) and text. */
  records: Array<{ seq: number; start: number; end: number; text: string; time: number | undefined }>;
}

export class JournaldSource implements Source {
  readonly name = 'journald';
  private host!: SourceHost;
  private readonly streams = new Map<string, ServiceStream>();
  private nextId = FIRST_STREAM_ID;
  private seq = 0;
  private cursor: string | undefined;
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private queued = 0;
  private lineNo = 0;
  private badLines = 0;
  private noCursorFromStart = false;
  /** Records of events a kill interrupted, not yet fed again. */
  private replay: Pending[] = [];
  private replayTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: JournaldOptions) {
    for (const u of options.units) if (!UNIT_NAME.test(u)) throw new Error(`journald: not a unit name: ${JSON.stringify(u)}`);
  }

  async start(host: SourceHost, saved: { positions: SavedPosition[]; state: unknown }): Promise<void> {
    this.host = host;
    const state = isJournaldState(saved.state) ? saved.state : undefined;
    this.cursor = state?.cursor;
    const pending = Array.isArray(state?.pending) ? state.pending.filter(isPending) : [];
    // Events a kill interrupted are rebuilt from their saved records just before journalctl's
    // first record: fed now, the idle flush would close them while journalctl is still
    // starting, and a stack frame written after the kill would become an event of its own.
    this.replay = pending;
    if (pending.length > 0) this.replayTimer = setTimeout(() => void host.enqueue(async () => this.replayPending()), REPLAY_WITHOUT_RECORDS_MS);
    // without a cursor, the journal is read from its beginning: after a start that found it
    // empty (everything in it is new), or with --from-start; a first start otherwise begins after
    // its newest record (or at its end, when that could not be read)
    this.noCursorFromStart = state !== undefined || this.options.fromStart;
    if (state === undefined && !this.options.fromStart) {
      const newest = this.newestCursor();
      this.cursor = newest.cursor;
      this.noCursorFromStart = newest.empty;
    }
    this.spawn();
  }

  private unitArgs(): string[] {
    // `--unit=NAME` in one argument: a name can never be read as an option
    return this.options.units.map((u) => `--unit=${u}`);
  }

  /** The newest record's cursor: a first start follows after it (journalctl's `-n 0`, but saved). */
  private newestCursor(): { cursor?: string; empty: boolean } {
    const r = spawnSync(this.options.journalctl, ['-o', 'json', '-n', '1', '--no-pager', ...this.unitArgs()], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 30_000 });
    if (r.error) {
      this.host.warn(`journald: ${this.options.journalctl}: ${r.error.message}`);
      return { empty: false };
    }
    const last = r.stdout.trim().split('\n').pop() ?? '';
    const parsed = last === '' ? undefined : parseJournalLine(last, 0);
    if (parsed?.ok) return { cursor: parsed.record.cursor, empty: false };
    if (r.status !== 0) this.host.warn(`journald: journalctl exited with ${r.status ?? r.signal}: ${firstLine(r.stderr)}`);
    return { empty: r.status === 0 && last === '' };
  }

  private spawn(): void {
    if (this.stopped) return;
    const args = ['-o', 'json', '-f', '--all', '--no-pager', ...this.unitArgs()];
    if (this.cursor !== undefined) args.push(`--after-cursor=${this.cursor}`);
    else if (this.noCursorFromStart) args.push('--no-tail');
    else args.push('-n', '0');
    const child = spawn(this.options.journalctl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    const rl = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      this.queued++;
      if (this.queued > MAX_QUEUED_LINES) child.stdout.pause();
      void this.host.enqueue(async () => {
        this.queued--;
        if (this.queued < MAX_QUEUED_LINES / 2) child.stdout.resume();
        // after stop, records are not taken: the saved cursor is before them, a restart reads them
        if (!this.stopped && this.child === child) this.record(line);
      });
    });
    child.on('error', (err) => this.host.warn(`journald: ${this.options.journalctl}: ${err.message}`));
    child.on('close', (code, signal) => {
      if (this.stopped || this.child !== child) return;
      this.child = undefined;
      const why = stderr.trim() ? `: ${firstLine(stderr)}` : '';
      this.host.warn(`journald: journalctl ended (${code ?? signal})${why}; starting it again in ${RESTART_AFTER_MS / 1000} s`);
      // queued lines are taken first; the new journalctl starts after the cursor they reach
      this.restartTimer = setTimeout(() => void this.host.enqueue(async () => this.spawn()), RESTART_AFTER_MS);
    });
  }

  private replayPending(): void {
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
    const pending = this.replay;
    this.replay = [];
    for (const p of pending) this.feed(p.service, p.text, p.time);
  }

  private record(line: string): void {
    if (this.replay.length > 0) this.replayPending();
    this.lineNo++;
    const parsed = parseJournalLine(line, this.lineNo);
    if (!parsed.ok) {
      if (this.badLines++ === 0) this.host.warn(`journald: line ${this.lineNo} of journalctl's output skipped: ${parsed.reason}`);
      return;
    }
    const { event, cursor, messageOmitted } = parsed.record;
    if (messageOmitted) this.host.warn(`journald: a message of ${event.service ?? 'a service'} was too large for journalctl to print; skipped`);
    else this.feed(event.service ?? 'journald', event.text, event.time);
    if (cursor !== undefined) this.cursor = cursor;
    this.host.touched();
  }

  /**
   * One record's text as line(s) of its service's stream (Latin-1, one char per byte), with the
   * time journald recorded it: an event without a timestamp of its own is dated by its first record.
   */
  private feed(service: string, text: string, time: number | undefined): void {
    let s = this.streams.get(service);
    if (!s) {
      s = { id: this.nextId--, end: 0, records: [] };
      this.streams.set(service, s);
      this.host.open({ id: s.id, display: `journald:${service}`, liveName: service, offset: 0, startLine: 0 });
    }
    const chunk = `${Buffer.from(text.replace(/\r?\n$/, ''), 'utf8').toString('latin1')}\n`;
    const start = s.end;
    s.end += chunk.length;
    s.records.push({ seq: this.seq++, start, end: s.end, text, time });
    this.host.deliver(s.id, chunk, start, s.end, time);
  }

  async checkpoint(): Promise<SourceCheckpoint> {
    const pending: Array<Pending & { seq: number }> = [];
    for (const [service, s] of this.streams) {
      // records before the open event are fully processed; those from it on are replayed
      const from = this.host.committedOffset(s.id).offset;
      s.records = s.records.filter((r) => r.end > from);
      for (const r of s.records) pending.push({ seq: r.seq, service, text: r.text, ...(r.time === undefined ? {} : { time: r.time }) });
    }
    pending.sort((a, b) => a.seq - b.seq);
    // records not replayed yet come before every record read since
    const records = [...this.replay, ...pending.map(({ seq: _seq, ...p }) => p)];
    return { state: { cursor: this.cursor, pending: records.slice(-MAX_PENDING) } };
  }

  async stop(): Promise<void> {
    this.replayPending();
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      await closed;
    }
    for (const s of this.streams.values()) {
      this.host.close(s.id);
      s.records = [];
    }
  }
}

function firstLine(s: string): string {
  return (s.trim().split('\n')[0] ?? '').slice(0, 300);
}
