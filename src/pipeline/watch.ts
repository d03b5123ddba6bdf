// The continuous driver: the same parse → match → correlate stages as `analyze`, fed by file
// followers instead of whole files. Every operation (reading, checkpointing, shutting down) runs
// on one queue, so a checkpoint always sees a consistent state: what was parsed, what was
// counted, and the byte offset to resume from — the start of the event still being built, so a
// restart re-reads it whole — are saved in one SQLite transaction.
import path from 'node:path';
import type { Incident, LogEvent, SavedPosition } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import { Matcher } from '../match/matcher.js';
import { Engine, groupKeyOf, isGroupState } from '../correlate/engine.js';
import { OutboxDrain, type ChangeSink } from './outbox-drain.js';
import { renderIncidentText } from '../sinks/incident-text.js';
import { StreamParser } from '../parse/stream-parser.js';
import { serviceFromFileName } from '../sources/discover.js';
import { FileFollower, type FollowerSink } from '../sources/follow/file-follower.js';
import { FINGERPRINT_BYTES, headMatches } from '../sources/follow/identity.js';
import { KnownContent } from '../sources/follow/known-content.js';
import { initialFiles, liveFileOf, watchDirs, watchRoot, type WatchRoot } from '../sources/follow/watch-paths.js';
import { DirWatchers } from '../sources/follow/dir-watch.js';
import { Pm2Timeline } from './pm2-timeline.js';

/** How long a finished file's position is kept, so a restart recognises its rotated copies. */
const RETIRED_MS = 15 * 60_000;
/** Rotated files written this long before the last checkpoint are still checked after a restart. */
const RESTART_MARGIN_MS = 60_000;
/** A file that changed is polled again this soon after the change event (ms). */
const TRAILING_POLL_MS = 60;
/** Full rescan of the roots every this many polls. */
const RESCAN_EVERY = 5;
import type { Store, TraceRow } from '../store/store.js';
import { processEvents, readProcessTable } from '../sources/process-table.js';
import fs from 'node:fs/promises';

const STATE_KEY = 'files';
/** A change worth a console line is saved and shown this soon, not at the next periodic checkpoint. */
const NOTABLE_CHECKPOINT_MS = 20;

export interface WatchOptions {
  paths: string[];
  rules: CompiledRule[];
  store: Store;
  /** Read existing content first (default: start at the end on first sight). */
  fromStart: boolean;
  /** Poll every followed file this often even without change events (ms). */
  pollMs?: number;
  /** Close an event that got no continuation line for this long (ms). */
  flushMs?: number;
  /** Save positions and incidents at most this often (ms). */
  checkpointMs?: number;
  /** Record every matched event in the store (exactly-once tests). */
  trace?: boolean;
  /** Follow symbolic links out of watched folders. */
  followSymlinks?: boolean;
  /** Read the process table this often (ms) for duplicate processes; off when undefined. */
  psIntervalMs?: number;
  /** Where the process table is read (tests point it elsewhere). */
  procRoot?: string;
  /** Where incident changes go: each drains the store's outbox with its own cursor, off the reading loop. */
  sinks: ChangeSink[];
  warn: (message: string) => void;
  signal: AbortSignal;
}

interface ChunkEntry {
  chars: number;
  bytes: number;
  text: string;
}

interface Tracked {
  follower: FileFollower;
  parser: StreamParser;
  /** Text pushed since the open event started, to map its char offset back to bytes. */
  log: ChunkEntry[];
  chars: number;
  lastPushAt: number;
  flushed: boolean;
}

export class Watcher {
  private readonly matcher: Matcher;
  private readonly engine: Engine;
  private readonly ruleById: Map<string, CompiledRule>;
  private notableTimer: NodeJS.Timeout | undefined;
  private readonly drains: OutboxDrain[];
  private readonly tracked = new Map<FileFollower, Tracked>();
  private readonly byPath = new Map<string, FileFollower>();
  private readonly roots: WatchRoot[];
  private queue: Promise<unknown> = Promise.resolve();
  private trace: TraceRow[] = [];
  private dirty = false;
  private saved = new Map<string, SavedPosition>();
  private readonly known = new KnownContent();
  private lastCheckpointAt = 0;
  /** Files read to their end and closed: kept in checkpoints so a restart knows them. */
  private readonly retired = new Map<string, { position: SavedPosition; at: number }>();
  private firstRun = true;
  private dirWatchers: DirWatchers | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly pm2 = new Pm2Timeline();

  constructor(private readonly options: WatchOptions) {
    this.matcher = new Matcher(options.rules);
    const state = options.store.loadWatchState(STATE_KEY);
    const saved = isSavedState(state) ? state : undefined;
    this.engine = new Engine(options.rules, options.store.loadEngineState().filter(isGroupState));
    this.drains = options.sinks.map((sink) => new OutboxDrain(options.store.outboxConsumer(sink.name, { start: sink.start }), sink, options.warn));
    this.ruleById = new Map(options.rules.map((r) => [r.spec.id, r]));
    this.lastCheckpointAt = saved?.checkpointAt ?? 0;
    for (const head of saved?.knownHeads ?? []) this.known.rememberHead(head);
    this.roots = options.paths.map((p) => watchRoot(p, undefined, { followSymlinks: options.followSymlinks }));
  }

  /** Start following; resolves when the signal aborts and everything is flushed. */
  async run(): Promise<void> {
    const positions = this.options.store.loadPositions();
    this.firstRun = positions.length === 0;
    for (const p of positions) {
      this.saved.set(`${p.dev}:${p.ino}`, p);
      // content we read before: its copies are not new files
      this.known.rememberFile(p.dev, p.ino, p);
    }
    // changes committed before a kill but not yet delivered go out first
    for (const d of this.drains) d.wake();
    await this.enqueue(() => this.resume());
    for (const file of initialFiles(this.roots)) await this.enqueue(() => this.ensure(file, this.options.fromStart || !this.firstRun));
    // Rotated parts we never read: on a first run with --from-start, all of them; after a
    // restart, those written since the last checkpoint (rotated while we were not running).
    if (this.options.fromStart && this.firstRun) {
      for (const file of initialFiles(this.roots, true)) await this.enqueue(() => this.adoptRotated(file, 0));
    } else if (!this.firstRun) {
      for (const file of initialFiles(this.roots, true)) await this.enqueue(() => this.adoptRotated(file, this.lastCheckpointAt - RESTART_MARGIN_MS));
    }
    this.saved.clear(); // what was not claimed now belonged to files gone while we were away
    const onPath = (p: string): void => {
      const abs = path.resolve(p);
      if (this.roots.some((r) => r.accepts(abs))) {
        // one queued poll per file is enough: it reads whatever the events announced
        if (!this.pollQueued.has(abs)) {
          this.pollQueued.add(abs);
          void this.enqueue(() => {
            this.pollQueued.delete(abs);
            return this.ensure(abs, true).then(() => this.pollPath(abs));
          });
        }
        this.pollAgainSoon(abs);
      } else if (this.roots.some((r) => r.acceptsRotated(abs))) {
        // a rotated part appeared or grew: adopt it if it is new, and look at the live files
        // (a burst of raw events for one rotation makes one poll, not one each)
        void this.enqueue(() => this.adoptRotated(abs, 0));
        this.schedulePollAll();
      } else {
        // a folder appeared or something was renamed or deleted: look at every file now
        this.schedulePollAll();
      }
    };
    this.dirWatchers = new DirWatchers(onPath);
    this.dirWatchers.add(watchDirs(this.roots));
    const every = (ms: number, fn: () => Promise<void>): void => {
      this.timers.push(setInterval(() => void this.enqueue(fn), ms));
    };
    every(this.options.pollMs ?? 1000, () => this.pollAll());
    every(Math.max(20, Math.floor((this.options.flushMs ?? 200) / 2)), async () => this.flushIdle());
    every(this.options.checkpointMs ?? 1000, () => this.checkpoint());
    if (this.options.psIntervalMs) {
      await this.enqueue(async () => this.scanProcesses());
      every(this.options.psIntervalMs, async () => this.scanProcesses());
    }
    await new Promise<void>((resolve) => {
      if (this.options.signal.aborted) resolve();
      else this.options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.stop();
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.repollTimers.values()) clearTimeout(t);
    if (this.notableTimer) clearTimeout(this.notableTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.dirWatchers?.close();
    await this.enqueue(async () => {
      await this.pollAll();
      for (const t of this.tracked.values()) t.parser.flush();
      this.dirty = true;
      await this.checkpoint();
      for (const f of this.tracked.keys()) await f.close();
    });
    for (const d of this.drains) await d.flush();
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch((err: unknown) => this.options.warn(`internal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    return next;
  }

  private readonly repollTimers = new Map<string, NodeJS.Timeout>();
  private readonly pollQueued = new Set<string>();

  /**
   * A change event may be the first of a burst whose later writes raise no event we see in
   * time (measured with chokidar, which throttles them: a line written 20 ms after another took
   * up to 1.2 s, the stat poll's period). A trailing poll shortly after each event reads it.
   */
  private pollAgainSoon(file: string): void {
    if (this.repollTimers.has(file) || this.stopped) return;
    const timer = setTimeout(() => {
      this.repollTimers.delete(file);
      void this.enqueue(() => this.pollPath(file));
    }, TRAILING_POLL_MS);
    timer.unref();
    this.repollTimers.set(file, timer);
  }

  private pollTimer: NodeJS.Timeout | undefined;
  private schedulePollAll(): void {
    if (this.pollTimer || this.stopped) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.enqueue(() => this.pollAll());
    }, 10);
  }

  /** Files rotated away while we were not running: drain them from where we stopped. */
  private async resume(): Promise<void> {
    const current = new Set(initialFiles(this.roots));
    for (const [key, saved] of this.saved) {
      const st = await fs.stat(saved.path).catch(() => undefined);
      if (st && `${st.dev}:${st.ino}` === key && current.has(saved.path)) continue; // resumed by ensure()
      const moved = await findRotated(saved);
      if (!moved) {
        if (saved.offset > 0) this.options.warn(`${saved.path}: rotated away while incident-analyser was not running and no copy was found; lines after offset ${saved.offset} may be missing`);
        continue;
      }
      const f = await FileFollower.open(moved, this.sink, { saved, fromStart: true, sameContent: true });
      if (!f) continue;
      f.detached = true;
      this.track(f, saved.path, saved.line);
      this.saved.delete(key);
      await this.pollFollower(f);
    }
  }

  /** Follow `file` if we don't yet. */
  /** Paths already warned about (not a regular file), so the warning comes once. */
  private readonly notFiles = new Set<string>();

  private async ensure(file: string, fromStart: boolean): Promise<void> {
    if (this.byPath.has(file)) return;
    const st = await fs.stat(file).catch(() => undefined);
    if (st && !st.isFile()) {
      if (!this.notFiles.has(file)) this.options.warn(`${file}: not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'}); skipped until it is one`);
      this.notFiles.add(file);
      return;
    }
    if (!st) return;
    this.notFiles.delete(file);
    const saved = this.saved.get(`${st.dev}:${st.ino}`);
    const f = await FileFollower.open(file, this.sink, { saved, fromStart });
    if (!f) return;
    this.saved.delete(`${st.dev}:${st.ino}`);
    this.byPath.set(file, f);
    this.track(f, file, saved && f.offset === saved.offset ? saved.line : 0);
    await this.pollFollower(f);
  }

  /**
   * A rotated part appeared (or was found at start-up): read it whole unless it is a file we
   * follow or followed (same inode: a rename of it) or a copy of one (same head: a copy-then-
   * truncate, whose new part the live file's follower recovers itself).
   */
  private async adoptRotated(file: string, modifiedAfter: number): Promise<void> {
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile() || st.mtimeMs < modifiedAfter) return;
    if (this.isTrackedInode(st.dev, st.ino)) return;
    // A copy is announced when it is created, before its bytes are in: its head can't be
    // compared yet. Look again once it has a full head, or has stopped growing.
    if (st.size < FINGERPRINT_BYTES && Date.now() - st.mtimeMs < 1000) {
      setTimeout(() => void this.enqueue(() => this.adoptRotated(file, modifiedAfter)), 250).unref();
      return;
    }
    for (const f of this.tracked.keys()) this.remember(f);
    if (await this.known.isKnown(file, st.dev, st.ino)) return;
    const f = await FileFollower.open(file, this.sink, { fromStart: true });
    if (!f) return;
    f.detached = true;
    this.track(f, file, 0);
    await this.pollFollower(f);
  }

  private isTrackedInode(dev: number, ino: number): boolean {
    for (const f of this.tracked.keys()) if (f.dev === dev && f.ino === ino) return true;
    return false;
  }

  private remember(f: FileFollower): void {
    for (const past of f.pastFingerprints) this.known.rememberHead(past);
    this.known.rememberFile(f.dev, f.ino, f.fingerprintInfo());
  }

  private track(f: FileFollower, display: string, startLine: number): void {
    this.remember(f);
    const live = path.basename(liveFileOf(display));
    const pm2Daemon = live === 'pm2.log';
    const parser = new StreamParser({
      service: serviceFromFileName(live),
      prefilter: this.matcher.prefilter,
      // PM2's daemon log names apps only on some lines: the timeline fills in the rest
      everyEvent: pm2Daemon,
      clock: () => Date.now(),
      onEvent: (e) => {
        if (pm2Daemon) this.pm2.note(e);
        this.accept(e);
      },
    });
    parser.beginFile(display, startLine);
    this.tracked.set(f, { follower: f, parser, log: [], chars: 0, lastPushAt: Date.now(), flushed: true });
  }

  private readonly sink: FollowerSink = {
    text: (f, chunk, start) => {
      const t = this.tracked.get(f);
      if (!t) return;
      t.log.push({ chars: t.chars, bytes: start, text: chunk });
      t.chars += chunk.length;
      t.lastPushAt = Date.now();
      t.flushed = false;
      t.parser.push(chunk);
      this.dirty = true;
      const open = t.parser.openEventStart();
      // keep only the text from the open event on (it may have to be re-read after a restart)
      if (!open) t.log = [];
      else while (t.log.length > 1 && (t.log[1]?.chars ?? Infinity) <= open.chars) t.log.shift();
    },
    restart: (f, reason) => {
      const t = this.tracked.get(f);
      if (!t) return;
      this.options.warn(`${f.path}: ${reason}; reading it from the start`);
      t.parser.endFile();
      t.parser.beginFile(f.path, 0);
      t.log = [];
      t.chars = 0;
      this.dirty = true;
    },
    warn: (m) => this.options.warn(m),
  };

  private accept(event: LogEvent): void {
    for (const m of this.matcher.matchEvent(event)) {
      this.engine.add(m, Date.now());
      if (this.options.trace) this.trace.push({ rule: m.rule, file: event.file, line: event.line, text: event.raw });
    }
    if (!this.notableTimer && !this.stopped && this.engine.hasChanges(true)) this.checkpointSoon();
  }

  /** An incident opened, escalated or resolved: save and report it now, not at the next checkpoint. */
  private checkpointSoon(): void {
    this.notableTimer = setTimeout(() => {
      this.notableTimer = undefined;
      this.dirty = true;
      void this.enqueue(() => this.checkpoint());
    }, NOTABLE_CHECKPOINT_MS);
  }

  /** A change event for `file`: read it (the periodic poll checks whether it was replaced). */
  private async pollPath(file: string): Promise<void> {
    const f = this.byPath.get(file);
    if (f) await this.pollFollower(f, false);
  }

  private polls = 0;

  private async pollAll(): Promise<void> {
    for (const f of [...this.tracked.keys()]) await this.pollFollower(f);
    await this.scanRotated();
    // Every few polls, look for new files the change events did not announce: a path that did
    // not exist yet (its folder was created later), or events lost under load.
    if (++this.polls % RESCAN_EVERY === 0) {
      for (const file of initialFiles(this.roots)) if (!this.byPath.has(file)) await this.ensure(file, true);
      this.dirWatchers?.add(watchDirs(this.roots));
    }
    this.engine.tick(Date.now());
    if (!this.notableTimer && !this.stopped && this.engine.hasChanges(true)) this.checkpointSoon();
  }

  private lastRotatedScan = 0;

  /**
   * Look for rotated parts next to the files we follow, written since the last look. Change
   * events announce them sooner, but under load inotify queues overflow and events are
   * coalesced: this scan is what guarantees a rotated file we never read is found.
   */
  private async scanRotated(): Promise<void> {
    const since = this.lastRotatedScan - 2000;
    this.lastRotatedScan = Date.now();
    const dirs = new Set([...this.byPath.keys()].map((p) => path.dirname(p)));
    for (const dir of dirs) {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const file = path.join(dir, name);
        if (!this.roots.some((r) => r.acceptsRotated(file))) continue;
        const st = await fs.stat(file).catch(() => undefined);
        if (st && st.mtimeMs >= since) await this.adoptRotated(file, 0);
      }
    }
  }

  private async pollFollower(f: FileFollower, checkPath = true): Promise<void> {
    const outcome = await f.poll(checkPath).catch((err: unknown) => {
      this.options.warn(`${f.path}: ${err instanceof Error ? err.message : String(err)}`);
      return 'ok' as const;
    });
    if (outcome === 'moved') {
      // the path names another file now (or none): keep draining this one, follow the new one
      if (this.byPath.get(f.path) === f) this.byPath.delete(f.path);
      await this.ensure(f.path, true);
    }
    const t = this.tracked.get(f);
    if (f.detached && t && Date.now() - f.lastDataAt > 2000) {
      this.remember(f);
      await f.close();
      const { offset, line } = resumePoint(t);
      this.retired.set(`${f.dev}:${f.ino}`, { position: f.position(offset, line, ''), at: Date.now() });
      t.parser.endFile();
      this.tracked.delete(f);
      this.dirty = true;
    }
  }

  /** Processes seen by an earlier scan (pid + start time): each live process counts once. */
  private readonly seenProcesses = new Set<string>();

  private scanProcesses(): void {
    const rows = readProcessTable(this.options.procRoot);
    const now = Date.now();
    const live = new Set<string>();
    for (const event of processEvents(rows, now)) {
      const key = `${event.pid ?? ''}:${event.fields?.start ?? ''}`;
      live.add(key);
      if (this.seenProcesses.has(key)) continue;
      this.seenProcesses.add(key);
      this.accept(event);
    }
    for (const key of this.seenProcesses) if (!live.has(key)) this.seenProcesses.delete(key);
    this.dirty = true;
  }

  private async flushIdle(): Promise<void> {
    const now = Date.now();
    const quiet = this.options.flushMs ?? 200;
    for (const t of this.tracked.values()) {
      if (!t.flushed && now - t.lastPushAt >= quiet) {
        t.parser.flush();
        t.log = [];
        t.flushed = true;
      }
    }
  }

  private async checkpoint(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const positions: SavedPosition[] = [];
    const now = Date.now();
    for (const [key, r] of this.retired) {
      if (now - r.at > RETIRED_MS) this.retired.delete(key);
      else positions.push(r.position);
    }
    for (const t of this.tracked.values()) {
      const { offset, line } = resumePoint(t);
      positions.push(t.follower.position(offset, line, await t.follower.tailHashAt(offset)));
    }
    const changes = this.engine.takeChanges();
    // the store keeps rendered incidents (reports and `incidents list` read them); rendering
    // runs here, per changed incident per checkpoint, never per matched line
    const rendered = new Map<string, Incident>();
    for (const c of changes) {
      const rule = this.ruleById.get(c.incident.rule);
      rendered.set(c.incident.id, rule ? renderIncidentText(c.incident, rule) : c.incident);
    }
    const delta = this.engine.takeStateDelta();
    this.lastCheckpointAt = Date.now();
    for (const f of this.tracked.keys()) this.remember(f);
    const knownHeads = this.known.recentHeads().map((h) => ({ fingerprint: h.hash, fingerprintLength: h.length }));
    const state: SavedState = { checkpointAt: this.lastCheckpointAt, knownHeads };
    this.options.store.saveCheckpoint({
      positions,
      state: [{ key: STATE_KEY, value: state }],
      engine: { put: delta.put.map((g) => ({ key: groupKeyOf(g.rule, g.key), value: g })), remove: delta.remove },
      incidents: [...rendered.values()],
      changes,
      trace: this.trace,
    });
    this.trace = [];
    // delivered only once saved: an incident on the console is always in the store
    if (changes.length > 0) for (const d of this.drains) d.wake();
  }
}

/** Where to resume a file: the start of the event still open, or everything delivered. */
function resumePoint(t: Tracked): { offset: number; line: number } {
  const open = t.parser.openEventStart();
  if (!open) return { offset: t.follower.offset, line: t.parser.lineNumber };
  for (const e of t.log) {
    if (open.chars >= e.chars && open.chars < e.chars + e.text.length) {
      // the text is Latin-1 (one char per byte), so a char offset is a byte offset
      return { offset: e.bytes + (open.chars - e.chars), line: open.line };
    }
  }
  return { offset: t.follower.offset, line: t.parser.lineNumber };
}

/** A saved file that is no longer at its path: find it renamed (same inode) or copied (same head). */
async function findRotated(saved: SavedPosition): Promise<string | undefined> {
  const dir = path.dirname(saved.path);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (st?.isFile() && st.ino === saved.ino && st.dev === saved.dev) return file;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    if (file !== saved.path && !name.endsWith('.gz') && (await headMatches(file, saved))) return file;
  }
  return undefined;
}

interface SavedState {
  /** Wall-clock ms of the checkpoint: files modified after it may hold lines we never read. */
  checkpointAt: number;
  /** Fingerprints of content already read (rotated copies starting so are not new). */
  knownHeads?: Array<{ fingerprint: string; fingerprintLength: number }>;
}

function isSavedState(v: unknown): v is SavedState {
  return typeof v === 'object' && v !== null && 'checkpointAt' in v && typeof v.checkpointAt === 'number';
}
