// Turn the user's paths (files, folders, globs) into log streams: the files of one log —
// the live file and its rotated siblings (pm2-logrotate `app-error__2026-02-10_00-00-00.log[.gz]`,
// logrotate `app.log.1`, `app.log.2.gz`, `app.log-20260210`) — ordered oldest first, so they
// are read as one stream and an incident spanning a rotation stays one incident.
import fs from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { SkippedInput } from '../model.js';

export interface InputFile {
  /** Path as shown to the user (as given, or relative to the folder the user named). */
  display: string;
  /** Absolute path. */
  abs: string;
  size: number;
  mtimeMs: number;
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
}

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
}

export async function discoverStreams(paths: string[], cwd = process.cwd()): Promise<Discovery> {
  const skipped: SkippedInput[] = [];
  const found = new Map<string, InputFile>();
  for (const given of paths) {
    const abs = path.resolve(cwd, given);
    const st = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) {
      if (isDynamicPattern(given)) {
        const matches = await glob(given, { cwd, absolute: false, dot: true, onlyFiles: true, followSymbolicLinks: true });
        if (matches.length === 0) skipped.push({ file: given, reason: 'the pattern matches no file' });
        for (const m of matches.sort()) await addFile(found, skipped, m, path.resolve(cwd, m));
        continue;
      }
      skipped.push({ file: given, reason: describeFsError(st) });
      continue;
    }
    if (st.isDirectory()) {
      await walk(abs, given, found, skipped);
    } else {
      await addFile(found, skipped, given, abs);
    }
  }
  return { streams: groupStreams([...found.values()]), skipped };
}

async function walk(dirAbs: string, dirDisplay: string, found: Map<string, InputFile>, skipped: SkippedInput[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dirAbs, { withFileTypes: true });
  } catch (err) {
    skipped.push({ file: dirDisplay, reason: describeFsError(err) });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const abs = path.join(dirAbs, entry.name);
    const display = path.join(dirDisplay, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) await walk(abs, display, found, skipped);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && LOG_NAME.test(entry.name)) {
      await addFile(found, skipped, display, abs);
    }
  }
}

async function addFile(found: Map<string, InputFile>, skipped: SkippedInput[], display: string, abs: string): Promise<void> {
  try {
    const real = await fs.realpath(abs);
    if (found.has(real)) return;
    const st = await fs.stat(real);
    if (!st.isFile()) {
      skipped.push({ file: display, reason: 'not a regular file' });
      return;
    }
    found.set(real, { display, abs: real, size: st.size, mtimeMs: st.mtimeMs });
  } catch (err) {
    skipped.push({ file: display, reason: describeFsError(err) });
  }
}

function groupStreams(files: InputFile[]): LogStream[] {
  const byKey = new Map<string, { live: string; parts: Array<{ file: InputFile; rank: number | string }> }>();
  for (const file of files) {
    const dir = path.dirname(file.display);
    const rot = rotationOf(path.basename(file.display));
    const key = path.join(dir, rot.live);
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, (entry = { live: rot.live, parts: [] }));
    entry.parts.push({ file, rank: rot.rank });
  }
  const streams: LogStream[] = [];
  for (const [key, { live, parts }] of byKey) {
    parts.sort((a, b) => compareRank(a.rank, b.rank) || a.file.mtimeMs - b.file.mtimeMs);
    const service = serviceFromFileName(live);
    streams.push({ key, service, pm2Daemon: /^pm2\.log$/.test(live), files: parts.map((p) => p.file) });
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

export function describeFsError(err: unknown): string {
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
