// Which files watch mode follows: the files, folders and globs the user named, now and as they
// appear. fs.watch (inotify, dir-watch.ts) tells us when something changes; this decides what counts. Only
// live files are followed: rotated parts (`app.log.1`, `app__2026-02-10_00-00-00.log.gz`) are
// read only to recover lines a rotation moved out from under us.
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { rotationOf } from '../discover.js';

const LOG_NAME = /\.(log|txt|out|err|jsonl|ndjson)$/i;

export interface WatchRoot {
  /** The folder whose changes are watched, and how many levels of subfolders below it. */
  watchPath: string;
  depth: number;
  /** Does this root want the file at `abs`? */
  accepts(abs: string): boolean;
  /** Is `abs` a rotated part of a file this root wants (`app.log.1`, `app__2026-….log`)? */
  acceptsRotated(abs: string): boolean;
}

export function isLiveLogName(name: string): boolean {
  return LOG_NAME.test(name) && rotationOf(name).rank === Number.POSITIVE_INFINITY;
}

function isRotated(abs: string): boolean {
  return rotationOf(path.basename(abs)).rank !== Number.POSITIVE_INFINITY;
}

/** The live file a rotated part belongs to. */
export function liveFileOf(abs: string): string {
  return path.join(path.dirname(abs), rotationOf(path.basename(abs)).live);
}

/**
 * Is `f` really (after symbolic links) inside the folder `root`? A path that does not exist (a
 * file just rotated away) counts as inside: the follower handles its disappearance.
 */
function reallyInside(f: string, root: string): boolean {
  // lstat first: a file deleted and re-created between two calls (delete rotation) must never
  // look like a broken link
  const st = statOrMissing(f, fs.lstatSync);
  if (st === undefined) return true;
  let real: string;
  try {
    real = st.isSymbolicLink() ? fs.realpathSync(f) : path.join(fs.realpathSync(path.dirname(f)), path.basename(f));
  } catch {
    // a broken link leads nowhere we may read; a vanished folder is the follower's business
    return !st.isSymbolicLink();
  }
  let realRoot = root;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    // the root vanished meanwhile: compare with its name
  }
  return real.startsWith(realRoot + path.sep);
}

/**
 * stat, with every failure read as "not there now". `throwIfNoEntry` covers ENOENT only: a
 * change event for `x.log/a.log` that arrives after the folder `x.log` became a file again
 * fails with ENOTDIR, and that must not end the watcher (it did, from an fs.watch callback).
 */
function statOrMissing(p: string, stat: typeof fs.statSync = fs.statSync): fs.Stats | undefined {
  try {
    return stat(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export interface WatchRootOptions {
  /** Follow symbolic links out of a watched folder (default: files they lead to are not followed). */
  followSymlinks?: boolean;
}

/** Turn one user path (file, folder, glob, or a path that does not exist yet) into a root. */
export function watchRoot(given: string, cwd = process.cwd(), options: WatchRootOptions = {}): WatchRoot {
  const abs = path.resolve(cwd, given);
  const st = statOrMissing(abs);
  // a path that does not exist yet is a folder unless its name looks like a log file
  if (st?.isDirectory() || (!st && !picomatch.scan(given).isGlob && !LOG_NAME.test(path.basename(abs)))) {
    // a link in the folder must not pull in a file from elsewhere (another user's, /etc/…)
    const inside = (f: string): boolean => f.startsWith(abs + path.sep) && (options.followSymlinks === true || reallyInside(f, abs));
    return {
      watchPath: abs,
      depth: 20,
      accepts: (f) => inside(f) && isLiveLogName(path.basename(f)),
      acceptsRotated: (f) => inside(f) && isRotated(f) && isLiveLogName(path.basename(liveFileOf(f))),
    };
  }
  if (!st && picomatch.scan(given).isGlob) {
    const { base } = picomatch.scan(given);
    const baseAbs = path.resolve(cwd, base || '.');
    const match = picomatch(path.resolve(cwd, given), { dot: true });
    return {
      watchPath: baseAbs,
      depth: 20,
      accepts: (f) => match(f) && !isRotated(f),
      acceptsRotated: (f) => isRotated(f) && match(liveFileOf(f)),
    };
  }
  // a file, or a path that does not exist yet: follow exactly that path when it appears (and
  // watch its folder, where its rotated parts appear)
  return {
    watchPath: path.dirname(abs),
    depth: 0,
    accepts: (f) => f === abs,
    acceptsRotated: (f) => f !== abs && isRotated(f) && liveFileOf(f) === abs,
  };
}

/** Files under the roots that exist now (live ones, or with `rotated` their rotated parts). */
export function initialFiles(roots: WatchRoot[], rotated = false): string[] {
  const out = new Set<string>();
  const visit = (p: string, root: WatchRoot, depth: number): void => {
    const st = statOrMissing(p);
    if (!st) return;
    if (st.isDirectory()) {
      // `depth` counts folders below the root
      if (depth > root.depth || p.endsWith(`${path.sep}node_modules`)) return;
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        return;
      }
      for (const n of names.sort()) visit(path.join(p, n), root, depth + 1);
    } else if (st.isFile() && (rotated ? root.acceptsRotated(p) : root.accepts(p))) {
      out.add(p);
    }
  };
  for (const root of roots) visit(root.watchPath, root, 0);
  return [...out];
}

/** The folders to watch for the roots: each root's folder and, for folder roots, its subfolders. */
export function watchDirs(roots: WatchRoot[]): string[] {
  const out = new Set<string>();
  const visit = (dir: string, depth: number, max: number): void => {
    out.add(dir);
    if (depth >= max) return;
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== '.git') visit(path.join(dir, e.name), depth + 1, max);
    }
  };
  for (const root of roots) {
    if (statOrMissing(root.watchPath)?.isDirectory()) visit(root.watchPath, 0, root.depth);
  }
  return [...out];
}
