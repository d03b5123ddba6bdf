// Turn the user's paths (files, folders, globs) into log streams: the files of one log —
// the live file and its rotated siblings (pm2-logrotate `app-error__2026-02-10_00-00-00.log[.gz]`,
// logrotate `app.log.1`, `app.log.2.gz`, `app.log-20260210`) — ordered oldest first, so they
// are read as one stream and an incident spanning a rotation stays one incident.
// Every stream also gets a scope: which machine or scenario it belongs to (see Scopes below).
import fs from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { SkippedInput } from '../model.js';
import { describeErrno } from '../errors.js';

export interface InputFile {
  /** Path as shown to the user (as given, or relative to the folder the user named). */
  display: string;
  /** Absolute path. */
  abs: string;
  size: number;
  mtimeMs: number;
  /** Standard input (`-`, `/dev/stdin`): read from process.stdin, once. */
  stdin?: boolean;
}

export interface LogStream {
  /** Key of the stream: the live file's path (even when only rotated parts exist). */
  key: string;
  /** Service name from the file name (`workbot-error.log` → `workbot`, `pm2.log` → `pm2`). */
  service: string;
  /** True for PM2's own daemon log. */
  pm2Daemon: boolean;
  /** Oldest first; the live file last. */
  files: InputFile[];
  /**
   * The input this stream belongs to, shown as a path; incidents of different scopes never merge
   * or link. '' when the run has one scope, so single-scope runs keep their incident ids.
   */
  scope: string;
}

/** A scope root: its absolute path (identity) and the path shown for it. */
interface Scope {
  key: string;
  label: string;
}

/** Where each found file (by its key in `found`) belongs. */
type Scopes = Map<string, Scope>;

// In folders we read what looks like a log; a file the user names is always read.
const LOG_NAME = /(\.(log|txt|out|err|jsonl|ndjson)(\.\d+)?(\.gz)?|\.log[-.][\w-]+(\.gz)?|\.gz)$/i;
const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);

const PM2_ROTATED = /^(.+?)__(\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)\.log(\.gz)?$/;
const PM2_ROTATED_CUSTOM = /^(.+?)__(.+)\.log(\.gz)?$/;
const NUMBERED = /^(.+)\.(\d+)(\.gz)?$/;
const DATEEXT = /^(.+\.log)-(\d{8}|\d{4}-\d\d-\d\d)(\.gz)?$/;

interface Rotation {
  live: string;
  /** Sort key among rotated parts; larger is newer. */
  rank: number | string;
}

/** Which live file a rotated part belongs to, and its age rank. Live files return rank +Infinity. */
export function rotationOf(fileName: string): Rotation {
  let m = PM2_ROTATED.exec(fileName);
  if (m) return { live: `${m[1]}.log`, rank: m[2] ?? '' };
  m = DATEEXT.exec(fileName);
  if (m) return { live: m[1] ?? fileName, rank: m[2] ?? '' };
  m = NUMBERED.exec(fileName);
  if (m && /\.(log|txt|out|err)$/.test(m[1] ?? '')) return { live: m[1] ?? fileName, rank: -Number(m[2]) };
  m = PM2_ROTATED_CUSTOM.exec(fileName);
  if (m) return { live: `${m[1]}.log`, rank: m[2] ?? '' };
  if (fileName.endsWith('.gz')) return { live: fileName.slice(0, -3), rank: '' };
  return { live: fileName, rank: Number.POSITIVE_INFINITY };
}

const PM2_APP_LOG = /^(.+?)-(out|error|err)(?:-(\d+))?$/;

/** Service name from a log file name, as PM2 names them (`<app>-out.log`, `<app>-error-3.log`). */
export function serviceFromFileName(liveName: string): string {
  let base = liveName.replace(/\.(log|txt|out|err|jsonl|ndjson)$/i, '');
  const m = PM2_APP_LOG.exec(base);
  if (m) base = m[1] ?? base;
  return base || liveName;
}

export interface Discovery {
  streams: LogStream[];
  skipped: SkippedInput[];
  /** The scopes' labels, in stream order (one entry, '', when the run has one scope). */
  scopes: string[];
}

/**
 * Scopes, so that logs of different boxes or scenarios are never read as one story:
 * - a path given on the command line is a scope; a file's scope is its folder, a glob's its pattern;
 * - a folder with no log files of its own (an archive of scenarios or boxes) is a collection:
 *   each sub-folder is a scope, decided the same way below it;
 * - a PM2 home (a folder holding `pm2.log`) is a scope, and a path inside one (`~/.pm2/logs`)
 *   belongs to it, so `analyze ~/.pm2/logs ~/.pm2/pm2.log` is still one box.
 */
const PM2_HOME_REACH = 2;

// `-` is standard input (DESIGN.md); the device names are too, and from a pipe they resolve to no
// real path (/proc/self/fd/0 → `pipe:[…]`), so they are recognised by name.
const STDIN_PATHS = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);
const STDIN_KEY = '\u0000stdin';

export function isStdinPath(given: string): boolean {
  return STDIN_PATHS.has(given);
}

export interface DiscoverOptions {
  cwd?: string;
  /** Follow symbolic links that lead out of the folder being walked (default: skip them, with a note). */
  followSymlinks?: boolean;
}

export async function discoverStreams(paths: string[], cwdOrOptions: string | DiscoverOptions = {}): Promise<Discovery> {
  const options = typeof cwdOrOptions === 'string' ? { cwd: cwdOrOptions } : cwdOrOptions;
  const cwd = options.cwd ?? process.cwd();
  const skipped: SkippedInput[] = [];
  const found = new Map<string, InputFile>();
  const scopes: Scopes = new Map();
  for (const given of paths) {
    if (isStdinPath(given)) {
      if (!found.has(STDIN_KEY)) {
        found.set(STDIN_KEY, { display: given, abs: given, size: 0, mtimeMs: Date.now(), stdin: true });
        scopes.set(STDIN_KEY, { key: STDIN_KEY, label: given });
      }
      continue;
    }
    const abs = path.resolve(cwd, given);
    const st = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) {
      if (isDynamicPattern(given)) {
        const matches = await glob(given, { cwd, absolute: false, dot: true, onlyFiles: true, followSymbolicLinks: options.followSymlinks === true });
        if (matches.length === 0) skipped.push({ file: given, reason: 'the pattern matches no file' });
        const scope = { key: `glob:${path.resolve(cwd, given)}`, label: given };
        for (const m of matches.sort()) await addFile(found, skipped, m, path.resolve(cwd, m), scopes, scope);
        continue;
      }
      skipped.push({ file: given, reason: describeFsError(st) });
      continue;
    }
    if (st.isDirectory()) {
      const root = await fs.realpath(abs).catch(() => abs);
      const w: Walk = { root, rootDisplay: given, follow: options.followSymlinks === true, seen: new Set([root]), scopes };
      await walk(abs, given, found, skipped, w, await pm2HomeAbove(abs, given));
    } else {
      const dirDisplay = path.dirname(given);
      const dirAbs = path.dirname(abs);
      const home = (await isPm2Home(dirAbs)) ? { key: dirAbs, label: dirDisplay } : await pm2HomeAbove(dirAbs, dirDisplay);
      const scope = home ?? { key: dirAbs, label: dirDisplay };
      if (st.isFIFO()) {
        // a named pipe or process substitution (`<(zcat old.log.gz)`): read it as it streams
        if (!found.has(abs)) {
          found.set(abs, { display: given, abs, size: 0, mtimeMs: Date.now() });
          scopes.set(abs, scope);
        }
      } else {
        await addFile(found, skipped, given, abs, scopes, scope);
      }
    }
  }
  const streams = groupStreams(found, scopes);
  const labels = [...new Set(streams.map((s) => s.scope))];
  // one scope: nothing to tell apart, and incident ids stay what they were before scopes
  if (labels.length <= 1) for (const s of streams) s.scope = '';
  return { streams, skipped, scopes: labels.length <= 1 ? [''] : labels };
}

async function isPm2Home(dirAbs: string): Promise<boolean> {
  const st = await fs.stat(path.join(dirAbs, 'pm2.log')).catch(() => undefined);
  return st?.isFile() === true;
}

/** The PM2 home a path lies in (`~/.pm2` for `~/.pm2/logs`), looking a few folders up. */
async function pm2HomeAbove(abs: string, display: string): Promise<Scope | undefined> {
  let dirAbs = abs;
  let dirDisplay = display;
  for (let i = 0; i < PM2_HOME_REACH; i++) {
    const up = path.dirname(dirAbs);
    if (up === dirAbs) return undefined;
    dirAbs = up;
    dirDisplay = path.join(dirDisplay, '..');
    if (await isPm2Home(dirAbs)) return { key: dirAbs, label: dirDisplay };
  }
  return undefined;
}

interface Walk {
  /** Real path of the folder the user named. */
  root: string;
  rootDisplay: string;
  follow: boolean;
  /** Real paths of the folders walked (a followed link must not loop). */
  seen: Set<string>;
  scopes: Scopes;
}

/** `scope` undefined: this folder is not in a scope yet (a path given, or a collection's child). */
async function walk(
  dirAbs: string,
  dirDisplay: string,
  found: Map<string, InputFile>,
  skipped: SkippedInput[],
  w: Walk,
  scope: Scope | undefined,
): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dirAbs, { withFileTypes: true });
  } catch (err) {
    skipped.push({ file: dirDisplay, reason: describeFsError(err) });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const here: Scope | undefined =
    entries.some((e) => e.name === 'pm2.log' && e.isFile()) || (scope === undefined && entries.some((e) => !e.isDirectory() && LOG_NAME.test(e.name)))
      ? { key: dirAbs, label: dirDisplay }
      : scope;
  for (const entry of entries) {
    const abs = path.join(dirAbs, entry.name);
    const display = path.join(dirDisplay, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) await walk(abs, display, found, skipped, w, here);
    } else if (entry.isFile() && LOG_NAME.test(entry.name)) {
      if (here) await addFile(found, skipped, display, abs, w.scopes, here);
    } else if (entry.isSymbolicLink() && !SKIP_DIRS.has(entry.name)) {
      await walkLink(abs, display, entry.name, found, skipped, w, here);
    }
  }
}

/**
 * A link found in a folder walk. Inside the named folder it is harmless (its target is walked
 * anyway or read once, by real path); out of it, it is not followed unless asked: a log folder
 * must not pull `/etc/shadow` or another user's files into a report.
 */
async function walkLink(
  abs: string,
  display: string,
  name: string,
  found: Map<string, InputFile>,
  skipped: SkippedInput[],
  w: Walk,
  scope: Scope | undefined,
): Promise<void> {
  const real = await fs.realpath(abs).catch(() => undefined);
  if (real === undefined) {
    if (LOG_NAME.test(name)) skipped.push({ file: display, reason: 'broken symbolic link' });
    return;
  }
  const st = await fs.stat(real).catch(() => undefined);
  const isDir = st?.isDirectory() === true;
  if (!isDir && !LOG_NAME.test(name)) return;
  const inside = real === w.root || real.startsWith(w.root + path.sep);
  if (!inside && !w.follow) {
    skipped.push({ file: display, reason: `symbolic link to ${real}, outside ${w.rootDisplay}: not followed (--follow-symlinks follows it)` });
    return;
  }
  if (!isDir) {
    await addFile(found, skipped, display, abs, w.scopes, scope ?? { key: path.dirname(abs), label: path.dirname(display) });
  } else if (!inside && !w.seen.has(real)) {
    w.seen.add(real);
    await walk(abs, display, found, skipped, w, scope);
  }
}

async function addFile(
  found: Map<string, InputFile>,
  skipped: SkippedInput[],
  display: string,
  abs: string,
  scopes: Scopes,
  scope: Scope,
): Promise<void> {
  try {
    const real = await fs.realpath(abs);
    if (found.has(real)) return;
    const st = await fs.stat(real);
    if (!st.isFile()) {
      skipped.push({ file: display, reason: 'not a regular file' });
      return;
    }
    found.set(real, { display, abs: real, size: st.size, mtimeMs: st.mtimeMs });
    scopes.set(real, scope);
  } catch (err) {
    skipped.push({ file: display, reason: describeFsError(err) });
  }
}

function groupStreams(found: Map<string, InputFile>, scopes: Scopes): LogStream[] {
  const byKey = new Map<string, { live: string; scope: Scope; parts: Array<{ file: InputFile; rank: number | string }> }>();
  for (const [foundKey, file] of found) {
    const dir = path.dirname(file.display);
    const rot = rotationOf(path.basename(file.display));
    const key = path.join(dir, rot.live);
    let entry = byKey.get(key);
    const scope = scopes.get(foundKey) ?? { key: path.dirname(file.abs), label: dir };
    if (!entry) byKey.set(key, (entry = { live: rot.live, scope, parts: [] }));
    entry.parts.push({ file, rank: rot.rank });
  }
  // scope labels by identity: the same folder reached from two given paths is one scope
  const labels = new Map<string, string>();
  const streams: LogStream[] = [];
  for (const [key, { live, scope, parts }] of byKey) {
    parts.sort((a, b) => compareRank(a.rank, b.rank) || a.file.mtimeMs - b.file.mtimeMs);
    const service = parts.some((p) => p.file.stdin === true) ? 'stdin' : serviceFromFileName(live);
    if (!labels.has(scope.key)) labels.set(scope.key, scope.label);
    streams.push({
      key,
      service,
      pm2Daemon: /^pm2\.log$/.test(live),
      files: parts.map((p) => p.file),
      scope: labels.get(scope.key) ?? scope.label,
    });
  }
  // PM2's daemon log first: it carries the times used to place timestamp-less app logs.
  streams.sort((a, b) => Number(b.pm2Daemon) - Number(a.pm2Daemon) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return streams;
}

function compareRank(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'number') return a === Number.POSITIVE_INFINITY ? 1 : -1;
  if (typeof b === 'number') return b === Number.POSITIVE_INFINITY ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const describeFsError = describeErrno;
