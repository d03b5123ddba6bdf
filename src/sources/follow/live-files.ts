// The live file source of watch mode: the files, folders and globs the user named, followed as
// they are written and rotated, each file by a FileFollower (positioned reads on an open handle).
// It finds files (now, on change events, on rescans), adopts rotated parts that hold lines never
// read, drains renamed and deleted files to their end, and owns its checkpoint: a position per
// file (device + inode + head fingerprint + offset + hash of the bytes before it), the heads of
// content already read, and every path it has followed. The resume offset of a file comes from
// the host (the start of the event its parser is still building), so a restart re-reads that
// event whole and nothing else.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SavedPosition } from '../../model.js';
import type { Source, SourceCheckpoint, SourceHost } from '../source.js';
import { DirWatchers } from './dir-watch.js';
import { FileFollower, type FollowerSink } from './file-follower.js';
import { FINGERPRINT_BYTES, headHash, headMatches, readHead } from './identity.js';
import { isGzip } from '../read-file.js';
import { createHash } from 'node:crypto';
import { KnownContent } from './known-content.js';
import { initialFiles, liveFileOf, watchDirs, watchRoot, type WatchRoot } from './watch-paths.js';

/** How long a finished file's position is kept, so a restart recognises its rotated copies. */
const RETIRED_MS = 15 * 60_000;
/** Rotated files written this long before the last checkpoint are still checked after a restart. */
const RESTART_MARGIN_MS = 60_000;
/** A file that changed is polled again this soon after the change event (ms). */
const TRAILING_POLL_MS = 60;
/** Full rescan of the roots every this many polls. */
const RESCAN_EVERY = 5;
/** A detached (rotated away) file with no new bytes for this long is finished. */
const DRAINED_AFTER_MS = 2000;
/** Paths remembered as followed (the oldest are forgotten past this many). */
const MAX_FOLLOWED = 10_000;

export interface LiveFilesOptions {
  paths: string[];
  /** Read existing content of files seen for the first time (default: start at their end). */
  fromStart: boolean;
  /** Poll every followed file this often even without change events (ms). */
  pollMs: number;
  /** Follow symbolic links out of watched folders. */
  followSymlinks?: boolean | undefined;
}

interface FilesState {
  /** Wall-clock ms of the checkpoint: files modified after it may hold lines we never read. */
  checkpointAt: number;
  /** Fingerprints of content already read (rotated copies starting so are not new). */
  knownHeads?: Array<{ fingerprint: string; fingerprintLength: number }>;
  /** Live paths followed before: a file found at one of them is new content, read from its start. */
  followed?: string[];
}

function isFilesState(v: unknown): v is FilesState {
  return typeof v === 'object' && v !== null && 'checkpointAt' in v && typeof v.checkpointAt === 'number';
}

export class LiveFiles implements Source {
  readonly name = 'files';
  private host!: SourceHost;
  private readonly roots: WatchRoot[];
  private readonly ids = new Map<FileFollower, number>();
  private nextId = 1;
  private readonly byPath = new Map<string, FileFollower>();
  private saved = new Map<string, SavedPosition>();
  private readonly known = new KnownContent();
  private readonly followed = new Set<string>();
  private readonly retired = new Map<string, { position: SavedPosition; at: number }>();
  private lastCheckpointAt = 0;
  private firstRun = true;
  private dirWatchers: DirWatchers | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly repollTimers = new Map<string, NodeJS.Timeout>();
  private readonly pollQueued = new Set<string>();
  private readonly adoptQueued = new Set<string>();
  private pollAllQueued = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private polls = 0;
  private lastRotatedScan = 0;
  /** Heads of the live files at a first start, before their followers read them. */
  private liveHeadsAtStart: Array<{ fingerprint: string; fingerprintLength: number }> = [];
  /** Rotated parts starting like a live file at start-up: looked at again once it has been read. */
  private readonly copiesOfLive = new Set<string>();
  /** Paths already warned about (not a regular file), so the warning comes once. */
  private readonly notFiles = new Set<string>();

  constructor(private readonly options: LiveFilesOptions) {
    this.roots = options.paths.map((p) => watchRoot(p, undefined, { followSymlinks: options.followSymlinks }));
  }

  async start(host: SourceHost, saved: { positions: SavedPosition[]; state: unknown }): Promise<void> {
    this.host = host;
    const state = isFilesState(saved.state) ? saved.state : undefined;
    this.lastCheckpointAt = state?.checkpointAt ?? 0;
    for (const head of state?.knownHeads ?? []) this.known.rememberHead(head);
    for (const p of state?.followed ?? []) this.followed.add(p);
    // a first run knows no file; any saved trace of an earlier run makes this a restart
    this.firstRun = saved.positions.length === 0 && this.followed.size === 0 && state === undefined;
    for (const p of saved.positions) {
      this.saved.set(`${p.dev}:${p.ino}`, p);
      // content we read before: its copies are not new files
      this.known.rememberFile(p.dev, p.ino, p);
      if (this.roots.some((r) => r.accepts(p.path))) this.followed.add(p.path);
    }
    await host.enqueue(() => this.resume());
    // Rotated parts we never read come first, oldest first, so lines reach the engine in the
    // order they were written: on a first run with --from-start, all of them; after a restart,
    // those written since the last checkpoint (rotated while we were not running).
    if (this.options.fromStart && this.firstRun) {
      // a part copied from a live file that is not truncated yet holds the live file's lines:
      // the live file's follower reads them (and recovers the rest from the copy once truncated).
      // Which it is can only be told once that follower has read: the file may be truncated
      // before it is opened, and then the copy is the only place its lines are.
      for (const file of initialFiles(this.roots)) await this.noteLiveHead(file);
      for (const file of rotatedOldestFirst(initialFiles(this.roots, true))) await host.enqueue(() => this.adoptRotated(file, 0));
    } else if (!this.firstRun) {
      for (const file of rotatedOldestFirst(initialFiles(this.roots, true))) await host.enqueue(() => this.adoptRotated(file, this.lastCheckpointAt - RESTART_MARGIN_MS));
    }
    for (const file of initialFiles(this.roots)) await host.enqueue(() => this.ensure(file, this.options.fromStart || !this.firstRun));
    // a saved file its path still named at the first look but that rotated away before it was
    // opened (its inode may even be reused by now): drain its rotated copy
    await host.enqueue(() => this.resume(true));
    this.saved.clear();
    // the live followers have read their files' heads now: a copy put aside is a copy of what
    // they read (known, skipped) or of content truncated before they opened it (adopted)
    const putAside = rotatedOldestFirst([...this.copiesOfLive]);
    this.liveHeadsAtStart = [];
    this.copiesOfLive.clear();
    for (const file of putAside) await host.enqueue(() => this.adoptRotated(file, 0));
    this.dirWatchers = new DirWatchers((p) => {
      // an fs.watch callback that throws ends the process: a surprise here is a warning instead
      try {
        this.onPath(p);
      } catch (err) {
        this.host.warn(`${p}: ${err instanceof Error ? err.message : String(err)}`);
        this.schedulePollAll();
      }
    });
    this.dirWatchers.add(watchDirs(this.roots));
    this.timers.push(setInterval(() => this.queuePollAll(), this.options.pollMs));
  }

  private onPath(p: string): void {
    const abs = path.resolve(p);
    if (this.roots.some((r) => r.accepts(abs))) {
      // one queued poll per file is enough: it reads whatever the events announced
      if (!this.pollQueued.has(abs)) {
        this.pollQueued.add(abs);
        void this.host.enqueue(() => {
          this.pollQueued.delete(abs);
          return this.stopped ? Promise.resolve() : this.ensure(abs, true).then(() => this.pollPath(abs));
        });
      }
      this.pollAgainSoon(abs);
    } else if (this.roots.some((r) => r.acceptsRotated(abs))) {
      // a rotated part appeared or grew: adopt it if it is new, and look at the live files. One
      // queued look per part: a copy being written raises an event per write, and under load a
      // queue of repeated looks delayed the live files' reads by seconds
      if (!this.adoptQueued.has(abs)) {
        this.adoptQueued.add(abs);
        void this.host.enqueue(() => {
          this.adoptQueued.delete(abs);
          return this.stopped ? Promise.resolve() : this.adoptRotated(abs, 0);
        });
      }
      this.schedulePollAll();
    } else {
      // a folder appeared or something was renamed or deleted: look at every file now
      this.schedulePollAll();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.repollTimers.values()) clearTimeout(t);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.dirWatchers?.close();
    await this.pollAll();
  }

  /** Close every file (after the driver's last checkpoint). */
  async close(): Promise<void> {
    for (const f of this.ids.keys()) await f.close();
  }

  async checkpoint(): Promise<SourceCheckpoint> {
    const positions: SavedPosition[] = [];
    const now = Date.now();
    for (const [key, r] of this.retired) {
      if (now - r.at > RETIRED_MS) this.retired.delete(key);
      else positions.push(r.position);
    }
    for (const [f, id] of this.ids) {
      const { offset, line } = this.host.committedOffset(id);
      positions.push(f.position(offset, line, await f.tailHashAt(offset)));
      this.remember(f);
    }
    this.lastCheckpointAt = now;
    const state: FilesState = {
      checkpointAt: now,
      knownHeads: this.known.recentHeads().map((h) => ({ fingerprint: h.hash, fingerprintLength: h.length })),
      followed: [...this.followed],
    };
    return { positions, state };
  }

  /**
   * A change event may be the first of a burst whose later writes raise no event we see in
   * time. A trailing poll shortly after each event reads it.
   */
  private pollAgainSoon(file: string): void {
    if (this.repollTimers.has(file) || this.stopped) return;
    const timer = setTimeout(() => {
      this.repollTimers.delete(file);
      void this.host.enqueue(() => (this.stopped ? Promise.resolve() : this.pollPath(file)));
    }, TRAILING_POLL_MS);
    timer.unref();
    this.repollTimers.set(file, timer);
  }

  private schedulePollAll(): void {
    if (this.pollTimer || this.stopped) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.queuePollAll();
    }, 10);
  }

  /**
   * At most one full poll waits on the queue. When one took longer than the poll interval (a
   * starved process: hundreds of rotated parts to stat at a few % of a core), each tick queued
   * another, the queue grew without end, every read waited behind it, and a stop behind all of
   * them (a watcher asked to stop was still stat-ing files minutes later).
   */
  private queuePollAll(): void {
    if (this.pollAllQueued || this.stopped) return;
    this.pollAllQueued = true;
    void this.host.enqueue(() => {
      this.pollAllQueued = false;
      return this.stopped ? Promise.resolve() : this.pollAll();
    });
  }

  /**
   * Files rotated away while we were not running: drain them from where we stopped. Before the
   * live files are opened, a saved file still at its live path is left to ensure(); `last` is
   * the pass after it, for what ensure() did not claim.
   */
  private async resume(last = false): Promise<void> {
    const current = new Set(initialFiles(this.roots));
    for (const [key, saved] of this.saved) {
      const st = await fs.stat(saved.path).catch(() => undefined);
      if (!last && st && `${st.dev}:${st.ino}` === key && current.has(saved.path)) continue; // resumed by ensure()
      const moved = await findRotated(saved);
      if (!moved) {
        if (saved.offset > 0) this.host.warn(`${saved.path}: rotated away while incident-analyser was not running and no copy was found; lines after offset ${saved.offset} may be missing`);
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
  private async ensure(file: string, fromStart: boolean): Promise<void> {
    if (this.byPath.has(file)) return;
    const st = await fs.stat(file).catch(() => undefined);
    if (st && !st.isFile()) {
      if (!this.notFiles.has(file)) this.host.warn(`${file}: not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'}); skipped until it is one`);
      this.notFiles.add(file);
      return;
    }
    if (!st) return;
    this.notFiles.delete(file);
    const saved = this.saved.get(`${st.dev}:${st.ino}`);
    // a path followed before holds new content: from its start, whatever --from-start says
    const f = await FileFollower.open(file, this.sink, { saved, fromStart: fromStart || this.followed.has(file) });
    if (!f) return;
    this.saved.delete(`${st.dev}:${st.ino}`);
    this.byPath.set(file, f);
    this.noteFollowed(file);
    this.track(f, file, saved && f.offset === saved.offset ? saved.line : 0);
    // a file started at its end: its position is news for the next checkpoint
    this.host.touched();
    await this.pollFollower(f);
  }

  private async noteLiveHead(file: string): Promise<void> {
    const st = await fs.stat(file).catch(() => undefined);
    const length = Math.min(st?.size ?? 0, FINGERPRINT_BYTES);
    const hash = length > 0 ? await headHash(file, length) : undefined;
    if (hash) this.liveHeadsAtStart.push({ fingerprint: hash, fingerprintLength: length });
  }

  private noteFollowed(file: string): void {
    this.followed.delete(file);
    this.followed.add(file);
    if (this.followed.size > MAX_FOLLOWED) {
      const oldest = this.followed.values().next().value;
      if (oldest !== undefined) this.followed.delete(oldest);
    }
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
      setTimeout(() => void this.host.enqueue(() => (this.stopped ? Promise.resolve() : this.adoptRotated(file, modifiedAfter))), 250).unref();
      return;
    }
    for (const f of this.ids.keys()) this.remember(f);
    if (await this.known.isKnown(file, st.dev, st.ino)) return;
    for (const head of this.liveHeadsAtStart) {
      if (await headMatches(file, head)) {
        this.copiesOfLive.add(file);
        return;
      }
    }
    if (await isGzip(file).catch(() => false)) {
      await this.readCompressed(file);
      return;
    }
    const f = await FileFollower.open(file, this.sink, { fromStart: true });
    if (!f) return;
    f.detached = true;
    this.track(f, file, 0);
    await this.pollFollower(f);
  }

  /**
   * A gzip rotated part (pm2-logrotate's `compress`) is read whole at once; its decompressed head
   * is remembered (and saved with the checkpoint), so it is never read again.
   */
  private async readCompressed(file: string): Promise<void> {
    const f = await FileFollower.open(file, this.sink, { fromStart: true });
    if (!f) return;
    f.detached = true;
    this.track(f, file, 0);
    await f.deliverCompressed();
    await f.close();
    const id = this.ids.get(f);
    if (id !== undefined) this.host.close(id);
    this.ids.delete(f);
    const head = await readHead(file, FINGERPRINT_BYTES).catch(() => Buffer.alloc(0));
    if (head.length > 0) this.known.rememberHead({ fingerprint: createHash('sha1').update(head).digest('hex'), fingerprintLength: head.length });
    this.host.touched();
  }

  private isTrackedInode(dev: number, ino: number): boolean {
    for (const f of this.ids.keys()) if (f.dev === dev && f.ino === ino) return true;
    return false;
  }

  private remember(f: FileFollower): void {
    for (const past of f.pastFingerprints) this.known.rememberHead(past);
    this.known.rememberFile(f.dev, f.ino, f.fingerprintInfo());
  }

  private track(f: FileFollower, display: string, startLine: number): void {
    this.remember(f);
    const id = this.nextId++;
    this.ids.set(f, id);
    this.host.open({ id, display, liveName: path.basename(liveFileOf(display)), offset: f.offset, startLine });
  }

  private readonly sink: FollowerSink = {
    text: (f, chunk, start, end) => {
      const id = this.ids.get(f);
      if (id !== undefined) this.host.deliver(id, chunk, start, end);
    },
    restart: (f, reason) => {
      const id = this.ids.get(f);
      if (id === undefined) return;
      this.host.warn(`${f.path}: ${reason}; reading it from the start`);
      this.host.restart(id, f.path);
    },
    warn: (m) => this.host.warn(m),
  };

  /** A change event for `file`: read it (the periodic poll checks whether it was replaced). */
  private async pollPath(file: string): Promise<void> {
    const f = this.byPath.get(file);
    if (f) await this.pollFollower(f, false);
  }

  private async pollAll(): Promise<void> {
    for (const f of [...this.ids.keys()]) await this.pollFollower(f);
    await this.scanRotated();
    // Every few polls, look for new files the change events did not announce: a path that did
    // not exist yet (its folder was created later), or events lost under load.
    if (++this.polls % RESCAN_EVERY === 0) {
      for (const file of initialFiles(this.roots)) if (!this.byPath.has(file)) await this.ensure(file, true);
      this.dirWatchers?.add(watchDirs(this.roots));
    }
  }

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
      const found: string[] = [];
      for (const name of names) {
        const file = path.join(dir, name);
        if (this.roots.some((r) => r.acceptsRotated(file))) found.push(file);
      }
      for (const file of rotatedOldestFirst(found)) {
        const st = await fs.stat(file).catch(() => undefined);
        if (st && st.mtimeMs >= since) await this.adoptRotated(file, 0);
      }
    }
  }

  private async pollFollower(f: FileFollower, checkPath = true): Promise<void> {
    const outcome = await f.poll(checkPath).catch((err: unknown) => {
      this.host.warn(`${f.path}: ${err instanceof Error ? err.message : String(err)}`);
      return 'ok' as const;
    });
    if (outcome === 'moved') {
      // the path names another file now (or none): keep draining this one, follow the new one
      if (this.byPath.get(f.path) === f) this.byPath.delete(f.path);
      await this.ensure(f.path, true);
    }
    const id = this.ids.get(f);
    if (f.detached && id !== undefined && Date.now() - f.lastDataAt > DRAINED_AFTER_MS) {
      this.remember(f);
      // closing the stream completes its last event: the offset is the end. The hash of the
      // bytes before it is saved too: without it a restart took the drained file for one
      // rewritten while it was away and read it again whole (issue 7: +1,500 lines)
      await f.close();
      const { offset, line } = this.host.close(id);
      this.retired.set(`${f.dev}:${f.ino}`, { position: f.position(offset, line, offset === f.offset ? f.closedTailHash : ''), at: Date.now() });
      this.ids.delete(f);
      this.host.touched();
    }
  }
}

/** Rotated parts, oldest first (pm2-logrotate dates sort as text; `.1` is newer than `.2`). */
function rotatedOldestFirst(files: string[]): string[] {
  return [...files].sort((a, b) => {
    const la = liveFileOf(a);
    const lb = liveFileOf(b);
    if (la !== lb) return la < lb ? -1 : 1;
    return rotationRankCompare(path.basename(a), path.basename(b));
  });
}

function rotationRankCompare(a: string, b: string): number {
  const na = /\.(\d+)(\.gz)?$/.exec(a)?.[1];
  const nb = /\.(\d+)(\.gz)?$/.exec(b)?.[1];
  if (na !== undefined && nb !== undefined) return Number(nb) - Number(na);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A saved file that is no longer at its path: find it renamed (same inode) or copied (same head). */
async function findRotated(saved: SavedPosition): Promise<string | undefined> {
  const dir = path.dirname(saved.path);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    // the inode of a deleted file is soon reused (a copy made by the next rotation may get it):
    // the same inode is the same file only if it still starts the same
    if (st?.isFile() && st.ino === saved.ino && st.dev === saved.dev && (saved.fingerprintLength === 0 || (await headMatches(file, saved)))) return file;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    if (file !== saved.path && !name.endsWith('.gz') && (await headMatches(file, saved))) return file;
  }
  return undefined;
}
