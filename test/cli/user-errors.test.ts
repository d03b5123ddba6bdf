// Mistakes and hostile conditions a user meets, run from outside: the built CLI as a child process
// on real files, a real full disk (a small tmpfs, when we may mount one), real permissions. Each
// case must give one line on stderr and exit 2, and lose nothing else (stdout, the store, the
// reports already there).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../../src/store/store.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
// several CLI runs per test, on a machine shared with other builds
vi.setConfig({ testTimeout: 60_000 });

let dir: string;
const mounts: string[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-usererr-'));
  // other users (the uid-switching tests) must reach the logs
  fs.chmodSync(dir, 0o755);
});
afterEach(() => {
  for (const m of mounts.splice(0)) spawnSync('umount', [m]);
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], options: SpawnSyncOptions = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, ...options });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function write(rel: string, content: string | Buffer, mode?: number): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  if (mode !== undefined) fs.chmodSync(p, mode);
  return p;
}

/** One line on stderr, exit 2, no stack trace. */
function expectOneLine(r: Run, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr).not.toMatch(/this is a bug|\n\s+at /);
  expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(pattern)]);
}

/** A log with one port-in-use incident per port. */
function portLog(ports: number): string {
  return Array.from({ length: ports }, (_, i) => `2026-02-10T03:12:${String(i % 60).padStart(2, '0')}: Error: listen EADDRINUSE: address already in use :::${3000 + i}\n`).join('');
}

/** A tmpfs of this size at `rel`, or undefined when this machine does not let us mount one. */
function smallDisk(rel: string, kib: number): string | undefined {
  const at = path.join(dir, rel);
  fs.mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0755`, 'tmpfs', at]);
  if (r.status !== 0) return undefined;
  mounts.push(at);
  return at;
}

function fillUp(disk: string): void {
  try {
    fs.writeFileSync(path.join(disk, 'filler'), Buffer.alloc(64 * 1024 * 1024));
  } catch {
    // ENOSPC: full, as wanted
  }
}

function listTree(root: string): string[] {
  return fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]).sort() : [];
}

describe('--out', () => {
  it.each([
    ['a file', (): string => (write('existing.txt', 'keep me\n'), 'existing.txt'), /^incident-analyser: --out existing\.txt: is a file; name a folder/],
    ['/dev/null', (): string => '/dev/null', /^incident-analyser: --out \/dev\/null: is not a folder; name a folder/],
  ])('naming %s: one line, exit 2, before any work and without touching it', (_what, target, message) => {
    write('logs/api-error.log', portLog(1));
    const out = target();
    const r = run(['analyze', 'logs', '--out', out, '--quiet']);
    expectOneLine(r, message);
    if (out !== '/dev/null') expect(fs.readFileSync(path.join(dir, out), 'utf8')).toBe('keep me\n');
  });

  it("'' is a usage error, not silently ignored", () => {
    write('logs/api-error.log', portLog(1));
    expectOneLine(run(['analyze', 'logs', '--out', '']), /^incident-analyser: --out needs a folder name/);
    expectOneLine(run(['report', '--db', 'x.db', '--out', '']), /^incident-analyser: --out needs a folder name/);
  });

  it('an unwritable folder: one line, exit 2, and stdout and the store still get the result', () => {
    write('logs/api-error.log', portLog(2));
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'state'), { mode: 0o777 });
    fs.chmodSync(path.join(dir, 'state'), 0o777);
    // root writes anywhere: run as nobody then (a folder root owns and nobody may not write)
    const as: SpawnSyncOptions = isRoot ? { uid: NOBODY, gid: NOBODY } : {};
    if (!isRoot) fs.chmodSync(locked, 0o555);
    const r = run(['analyze', 'logs', '--out', 'locked/reports', '--db', 'state/s.db', '--format', 'json'], as);
    expectOneLine(r, /^incident-analyser: cannot write reports to locked\/reports: permission denied$/);
    const doc = JSON.parse(r.stdout) as { incidents: unknown[] };
    expect(doc.incidents).toHaveLength(2);
    const db = new Database(path.join(dir, 'state/s.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM incidents').get()).toEqual({ n: 2 });
    db.close();
    expect(listTree(locked)).toEqual([]);
  });

  it('a full disk: no partial set (no 7 of 22 pages without a summary), earlier reports unchanged, stdout complete', (ctx) => {
    const disk = smallDisk('disk', 64);
    if (disk === undefined) return ctx.skip();
    write('logs/api-error.log', portLog(2));
    const first = run(['analyze', 'logs', '--out', 'disk/reports', '--quiet']);
    expect(first.code).toBe(0);
    const before = new Map(listTree(path.join(disk, 'reports')).filter((f) => f.endsWith('.md')).map((f) => [f, fs.readFileSync(path.join(disk, 'reports', f), 'utf8')]));
    expect(before.size).toBe(3);

    // 25 incidents: 26 pages of at least one 4 KiB page each do not fit in what is left of 64 KiB
    write('logs/api-error.log', portLog(25));
    const r = run(['analyze', 'logs', '--out', 'disk/reports', '--format', 'json']);
    expectOneLine(r, /^incident-analyser: cannot write reports to disk\/reports: no space left on the device; nothing was written \(reports already there are unchanged\)$/);
    expect((JSON.parse(r.stdout) as { incidents: unknown[] }).incidents).toHaveLength(25);
    const after = listTree(path.join(disk, 'reports'));
    expect(after.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(new Map(after.filter((f) => f.endsWith('.md')).map((f) => [f, fs.readFileSync(path.join(disk, 'reports', f), 'utf8')]))).toEqual(before);

    // fill it completely: the same one line, even for the first page
    fillUp(disk);
    expectOneLine(run(['analyze', 'logs', '--out', 'disk/reports', '--quiet']), /no space left on the device; nothing was written/);
  });

  it('reports are as private as the most private log they quote', () => {
    const umask = process.umask();
    write('open/api-error.log', portLog(1), 0o644);
    write('closed/db-error.log', portLog(1).replace(':::3000', ':::4000'), 0o600);
    expect(run(['analyze', 'open', '--out', 'r1', '--quiet']).code).toBe(0);
    const mode = (p: string): number => fs.statSync(path.join(dir, p)).mode & 0o777;
    expect(mode('r1/summary.md')).toBe(0o644 & ~umask);
    expect(run(['analyze', 'open', 'closed', '--out', 'r2', '--quiet']).code).toBe(0);
    expect(mode('r2/summary.md')).toBe(0o600);
    const pages = fs.readdirSync(path.join(dir, 'r2/incidents'));
    const byPort = (port: string): string => pages.find((p) => fs.readFileSync(path.join(dir, 'r2/incidents', p), 'utf8').includes(`:::${port}`)) ?? '';
    expect(mode(`r2/incidents/${byPort('4000')}`)).toBe(0o600);
    expect(mode(`r2/incidents/${byPort('3000')}`)).toBe(0o644 & ~umask);
    // a log folder others cannot enter makes its 0644 files private too
    fs.chmodSync(path.join(dir, 'open'), 0o700);
    expect(run(['analyze', 'open', '--out', 'r3', '--quiet']).code).toBe(0);
    expect(mode('r3/summary.md')).toBe(0o600);
  });

  it('a folder walk does not follow a link to a root-only file out of the folder unless asked, and then the report is root-only', () => {
    write('logs/api-error.log', portLog(1));
    const secret = write('private/secret.log', portLog(1).replace(':::3000', ':::5432'), 0o600);
    fs.symlinkSync(secret, path.join(dir, 'logs/secret.log'));
    const walled = run(['analyze', 'logs', '--format', 'json']);
    expect(walled.code).toBe(0);
    expect(walled.stderr).toContain('logs/secret.log: symbolic link to');
    expect(walled.stderr).toContain('not followed (--follow-symlinks follows it)');
    expect(walled.stdout).not.toContain(':::5432');
    const followed = run(['analyze', 'logs', '--follow-symlinks', '--out', 'r', '--quiet']);
    expect(followed.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'r/summary.md'), 'utf8')).toContain('5432');
    expect(fs.statSync(path.join(dir, 'r/summary.md')).mode & 0o777).toBe(0o600);
  });
});

describe('the store', () => {
  it('one whose user_version was lowered: one line, exit 2, file untouched', () => {
    write('logs/api-error.log', portLog(1));
    expect(run(['analyze', 'logs', '--db', 's.db', '--quiet']).code).toBe(0);
    const db = new Database(path.join(dir, 's.db'));
    db.pragma('user_version = 1');
    db.close();
    const before = fs.readFileSync(path.join(dir, 's.db'));
    expectOneLine(run(['analyze', 'logs', '--db', 's.db', '--quiet']), /^incident-analyser: s\.db says store schema version 1 but already has the table\(s\) positions, watch_state, event_trace of version 2/);
    expectOneLine(run(['incidents', 'list', '--db', 's.db']), /user_version was changed by something other than incident-analyser; it was left untouched/);
    expect(fs.readFileSync(path.join(dir, 's.db')).equals(before)).toBe(true);
  });

  it('one newer than we know: one line, exit 2, file untouched', () => {
    write('logs/api-error.log', portLog(1));
    expect(run(['analyze', 'logs', '--db', 's.db', '--quiet']).code).toBe(0);
    const db = new Database(path.join(dir, 's.db'));
    db.pragma('user_version = 9');
    db.close();
    const before = fs.readFileSync(path.join(dir, 's.db'));
    expectOneLine(run(['analyze', 'logs', '--db', 's.db']), new RegExp(`^incident-analyser: s\\.db has store schema version 9, newer than version ${LATEST_SCHEMA_VERSION}`));
    expect(fs.readFileSync(path.join(dir, 's.db')).equals(before)).toBe(true);
  });
});

describe('standard input', () => {
  it.each(['-', '/dev/stdin'])('analyze %s reads a pipe', (arg) => {
    const r = run(['analyze', arg, '--format', 'json'], { input: portLog(2) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ services: string[]; evidence: Array<{ file: string }> }>; stats: { files: number; lines: number } };
    expect(doc.stats).toMatchObject({ files: 1, lines: 2 });
    expect(doc.incidents.map((i) => i.services)).toEqual([['stdin'], ['stdin']]);
    expect(doc.incidents[0]?.evidence[0]?.file).toBe(arg);
  });
});

describe('hostile characters', () => {
  // a service name from a file name: RIGHT-TO-LEFT OVERRIDE, an ESC sequence that would clear the screen
  const name = 'api\u202Egpj.exe\u001b[2J';
  it('never reach the console raw: text shows them escaped, JSON carries them as \\u escapes', () => {
    write(`logs/${name}-error.log`, portLog(1));
    const text = run(['analyze', 'logs', '--format', 'text']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('api<U+202E>gpj.exe<U+001B>[2J');
    expect(text.stdout).not.toMatch(/[\u202e\u001b]/);
    expect(text.stderr).not.toMatch(/[\u202e\u001b]/);

    const json = run(['analyze', 'logs', '--format', 'json']);
    expect(json.stdout).not.toMatch(/[\u202e\u001b]/);
    expect((JSON.parse(json.stdout) as { incidents: Array<{ services: string[] }> }).incidents[0]?.services).toEqual([name]);
  });

  it('the Markdown summary printed to a terminal shows them escaped too', (ctx) => {
    if (spawnSync('script', ['--version']).status !== 0) return ctx.skip();
    write(`logs/${name}-error.log`, portLog(1));
    // `script` gives the CLI a real pseudo-terminal as stdout
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BIN} analyze logs --format md`, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stdout).toContain('# Incident report');
    expect(r.stdout).not.toMatch(/\u202e|\u001b\[2J/);
    // without --format a terminal gets the readable summary (issue 8): escaped the same way
    const summary = spawnSync('script', ['-qec', `${process.execPath} ${BIN} analyze logs`, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(summary.stdout).toContain('Start here: ');
    expect(summary.stdout).toContain('<U+202E>');
    expect(summary.stdout).not.toMatch(/\u202e|\u001b\[2J/);
  });
});

describe('errors are never hidden', () => {
  it('--quiet hides warnings, not errors', () => {
    write('logs/api-error.log', portLog(1));
    expectOneLine(run(['analyze', 'logs', 'missing.log', '--quiet', '--out', '/dev/null']), /--out \/dev\/null: is not a folder/);
  });
});
