// One watcher per store. Two `watch` processes on one --db would read the same files, count every
// line twice and send every notification twice, so the second one refuses to start.
//
// The lock is an exclusive SQLite lock (a POSIX record lock underneath) held on a small sidecar
// file, `<db>.lock`, for the watcher's lifetime: the kernel drops it when the process ends in any
// way, so a watcher killed with SIGKILL never leaves a stale lock behind (a PID file would, and
// its PID may be reused). Who holds it is recorded in the store itself, which stays readable.
import os from 'node:os';
import Database from 'better-sqlite3';
import { StoreError, toStoreError } from './errors.js';
import type { Store } from './store.js';

const OWNER_KEY = 'watch-owner';

export interface WatchLock {
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
  startedAt: string;
}

function isOwner(v: unknown): v is Owner {
  return typeof v === 'object' && v !== null && 'pid' in v && typeof v.pid === 'number' && 'host' in v && typeof v.host === 'string' && 'startedAt' in v && typeof v.startedAt === 'string';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err instanceof Error && 'code' in err && err.code === 'EPERM';
  }
}

/** Take the store's watch lock, or throw a StoreError naming the store and the PID holding it. */
export function lockStoreForWatch(store: Store, now: () => Date = () => new Date()): WatchLock {
  if (store.file === ':memory:') return { release: () => {} };
  const lockFile = `${store.file}.lock`;
  let db: Database.Database | undefined;
  try {
    db = new Database(lockFile, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in EXCLUSIVE locking mode it is kept until close.
    db.exec('CREATE TABLE IF NOT EXISTS lock (id INTEGER PRIMARY KEY, pid INTEGER)');
    db.prepare('INSERT OR REPLACE INTO lock (id, pid) VALUES (1, ?)').run(process.pid);
  } catch (err) {
    db?.close();
    if (err instanceof Database.SqliteError && /^SQLITE_(BUSY|LOCKED)/.test(err.code)) throw heldBy(store);
    throw toStoreError(err, lockFile);
  }
  store.saveWatchState(OWNER_KEY, { pid: process.pid, host: os.hostname(), startedAt: now().toISOString() } satisfies Owner);
  const held = db;
  return { release: () => held.close() };
}

function heldBy(store: Store): StoreError {
  const owner = store.loadWatchState(OWNER_KEY);
  let who = 'another incident-analyser watch';
  if (isOwner(owner) && (owner.host !== os.hostname() || alive(owner.pid))) {
    who += ` (PID ${owner.pid}${owner.host !== os.hostname() ? ` on ${owner.host}` : ''}, running since ${owner.startedAt})`;
  }
  return new StoreError(store.file, `${store.file} is in use by ${who}; stop that one first, or give this watch its own --db`);
}
