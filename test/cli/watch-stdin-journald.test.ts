// `watch -` and `watch --journald` as users run them: a real child process fed through a pipe,
// and journalctl — a fake one on PATH replaying recorded real `-o json` records (always), and the
// machine's own where it has a journal we can write to and read (else skipped, with a message).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exited, readOutput, sleep, until } from '../support/child.js';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
const FAKE = fileURLToPath(new URL('../support/fake-journalctl.mjs', import.meta.url));
const RECORDS = fileURLToPath(new URL('../../fixtures/journald/records.jsonl', import.meta.url));

let dir: string;
let children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-watch-stdin-'));
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  fs.rmSync(dir, { recursive: true, force: true });
});


interface Line {
  event: string;
  incident: { rule: string; services: string[]; count: number; firstSeen: string; captures: Record<string, string>; evidence: Array<{ file: string; text: string }> };
}

interface Watch {
  child: ChildProcess;
  lines: Line[];
  stderr: () => string;
}

function startWatch(args: string[], env: NodeJS.ProcessEnv = process.env, stdin: 'pipe' | 'ignore' = 'ignore'): Watch {
  const child = spawn(process.execPath, [BIN, 'watch', '--db', path.join(dir, 'state.db'), '--format', 'json', '--checkpoint-interval', '100', ...args], {
    cwd: dir,
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...env, NO_COLOR: '1' },
  });
  children.push(child);
  const w: Watch = { child, ...readOutput<Watch['lines'][number]>(child) };
  return w;
}



/** The store's incidents, as `incidents list --format json` gives them. */
function storedIncidents(): Line['incident'][] {
  const r = spawnSync(process.execPath, [BIN, 'incidents', 'list', '--db', path.join(dir, 'state.db'), '--format', 'json'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const doc: { incidents: Line['incident'][] } = JSON.parse(r.stdout);
  return doc.incidents;
}

const opened = (w: Watch, port: string): Line | undefined => w.lines.find((l) => l.event === 'opened' && l.incident.captures.port === port);

describe('watch - (standard input)', () => {
  it('reads a pipe as it is written, names the service from --service or the PM2 prefix, and exits 0 at end of input', async () => {
    const w = startWatch(['-', '--service', 'shop-web'], process.env, 'pipe');
    expect(await until(() => w.stderr().includes('watching'), 20_000)).toBe(true);
    // a prefixed line (pm2 logs --raw) and, while the pipe stays open, a plain one
    w.child.stdin?.write('0|shop-api | Error: listen EADDRINUSE: address already in use :::3000\n');
    expect(await until(() => opened(w, '3000') !== undefined, 20_000)).toBe(true);
    expect(opened(w, '3000')?.incident.services).toEqual(['shop-api']);
    // the last line has no newline: delivered after a short quiet time, the pipe still open
    w.child.stdin?.write('Error: listen EADDRINUSE: address already in use :::3001');
    expect(await until(() => opened(w, '3001') !== undefined, 20_000)).toBe(true);
    expect(opened(w, '3001')?.incident.services).toEqual(['shop-web']);
    expect(opened(w, '3001')?.incident.evidence[0]?.file).toBe('-');
    w.child.stdin?.end('Error: listen EADDRINUSE: address already in use :::3002');
    expect(await exited(w.child)).toBe(0);
    expect(opened(w, '3002')?.incident.services).toEqual(['shop-web']);
    const stored = storedIncidents();
    expect(stored.map((i) => i.captures.port).sort()).toEqual(['3000', '3001', '3002']);
  }, 60_000);
});

/** A folder with a `journalctl` on it that replays `journal` (a JSON-lines file). */
function fakeJournalctl(journal: string): NodeJS.ProcessEnv {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'journalctl'), `#!/bin/sh\nexec '${process.execPath}' '${FAKE}' "$@"\n`, { mode: 0o755 });
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_JOURNAL: journal, FAKE_JOURNAL_ARGS: path.join(dir, 'args.jsonl') };
}

const realRecords = (): Array<Record<string, unknown>> =>
  fs.readFileSync(RECORDS, 'utf8').split('\n').filter(Boolean).map((l): Record<string, unknown> => JSON.parse(l));

/** A record as journald wrote the real crash, with its own cursor, port and a stack frame after it. */
function crash(n: number): string {
  const [first, frame] = realRecords();
  const cursor = (i: string): string => `s=08470eeeaafb45bc9f82462f3cef7e8f;i=${i};b=f04770385886405aa100cc3f747a8e63`;
  return [
    { ...first, __CURSOR: cursor(`${n}a`), MESSAGE: `Error: listen EADDRINUSE: address already in use :::${4000 + n}` },
    { ...frame, __CURSOR: cursor(`${n}b`) },
  ]
    .map((r) => `${JSON.stringify(r)}\n`)
    .join('');
}

/** When journald wrote a record (`__REALTIME_TIMESTAMP`, µs), as the ISO time incidents carry. */
function writtenAt(record: Record<string, unknown>): string {
  return new Date(Number(BigInt(String(record.__REALTIME_TIMESTAMP)) / 1000n)).toISOString();
}

function invocations(): string[][] {
  return fs.readFileSync(path.join(dir, 'args.jsonl'), 'utf8').split('\n').filter(Boolean).map((l): string[] => JSON.parse(l));
}

describe('watch --journald (a fake journalctl replaying recorded records)', () => {
  it('reads the recorded journal from its start with --from-start: a crash and its stack-frame record joined, an omitted message said', async () => {
    const journal = path.join(dir, 'journal.jsonl');
    fs.copyFileSync(RECORDS, journal);
    const w = startWatch(['--journald', '--from-start'], fakeJournalctl(journal));
    expect(await until(() => w.lines.some((l) => l.incident.rule === 'port-in-use') && w.lines.some((l) => l.incident.services.includes('shop-api') && l.incident.rule !== 'port-in-use'), 20_000)).toBe(true);
    const port = w.lines.find((l) => l.incident.rule === 'port-in-use');
    expect(port?.incident.services).toEqual(['shop-api']);
    expect(port?.incident.evidence[0]?.file).toBe('journald:shop-api');
    // the stack frame (a record of its own) joined the error's event
    expect(port?.incident.evidence[0]?.text).toContain('at Server.setupListenHandle');
    // dated when journald wrote it (the message has no timestamp), not when we read it
    const [crashRecord] = realRecords();
    expect(port?.incident.firstSeen).toBe(writtenAt(crashRecord ?? {}));
    expect(await until(() => w.stderr().includes('too large'), 10_000)).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
    expect(invocations().at(-1)).toContain('--no-tail');
  }, 60_000);

  it('starts after the newest record, saves the cursor, and resumes after SIGKILL and SIGTERM without losing or repeating a record', async () => {
    const journal = path.join(dir, 'journal.jsonl');
    fs.copyFileSync(RECORDS, journal);
    let w = startWatch(['--journald'], fakeJournalctl(journal));
    expect(await until(() => w.stderr().includes('watching'), 20_000)).toBe(true);
    fs.appendFileSync(journal, crash(1) + crash(2));
    expect(await until(() => opened(w, '4001') !== undefined && opened(w, '4002') !== undefined, 20_000)).toBe(true);
    // existing records were not read: the journal's old crash on :3000 is no incident
    expect(w.lines.some((l) => l.incident.captures.port === '3000')).toBe(false);
    w.child.kill('SIGKILL');
    await exited(w.child);
    // written while nothing watched
    fs.appendFileSync(journal, crash(3) + crash(4));
    w = startWatch(['--journald'], fakeJournalctl(journal));
    expect(await until(() => opened(w, '4003') !== undefined && opened(w, '4004') !== undefined, 20_000)).toBe(true);
    fs.appendFileSync(journal, crash(5));
    expect(await until(() => opened(w, '4005') !== undefined, 20_000)).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
    fs.appendFileSync(journal, crash(6));
    w = startWatch(['--journald'], fakeJournalctl(journal));
    expect(await until(() => opened(w, '4006') !== undefined, 20_000)).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
    // each record counted once: no port twice, none missing, none repeated
    const ports = storedIncidents().filter((i) => i.rule === 'port-in-use');
    expect(ports.map((i) => [i.captures.port, i.count]).sort()).toEqual([4001, 4002, 4003, 4004, 4005, 4006].map((p) => [String(p), 1]));
    // the restarts asked journalctl for what follows the saved cursor
    const follows = invocations().filter((a) => a.includes('-f'));
    expect(follows[1]?.some((a) => a.startsWith('--after-cursor=') && a.includes('i=2b'))).toBe(true);
    expect(follows[2]?.some((a) => a.startsWith('--after-cursor=') && a.includes('i=5b'))).toBe(true);
  }, 120_000);

  it('takes its units from the configuration file when the command line names no source', async () => {
    const journal = path.join(dir, 'journal.jsonl');
    fs.copyFileSync(RECORDS, journal);
    fs.writeFileSync(path.join(dir, 'incident-analyser.yaml'), 'watch:\n  journald: true\n');
    let w = startWatch(['--from-start'], fakeJournalctl(journal));
    expect(await until(() => w.lines.some((l) => l.incident.rule === 'port-in-use'), 20_000), w.stderr()).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
    // a list names the units journalctl is asked for
    fs.writeFileSync(path.join(dir, 'incident-analyser.yaml'), 'watch:\n  journald: [shop-api, pm2-deploy]\n');
    w = startWatch([], fakeJournalctl(journal));
    const followsUnits = (): boolean => invocations().some((a) => a.includes('-f') && a.includes('--unit=shop-api') && a.includes('--unit=pm2-deploy'));
    expect(await until(followsUnits, 20_000), w.stderr()).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
    // a unit name that could be read as an option is refused in the file, with its line
    fs.writeFileSync(path.join(dir, 'incident-analyser.yaml'), 'watch:\n  journald: [--all]\n');
    const bad = spawnSync(process.execPath, [BIN, 'watch', '--db', path.join(dir, 'state.db')], { cwd: dir, encoding: 'utf8', env: fakeJournalctl(journal) });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/incident-analyser\.yaml:2.*unit name/);
  }, 60_000);

  it('a kill while an event is still being built: its saved records are replayed, so the event is whole and counted once', async () => {
    const journal = path.join(dir, 'journal.jsonl');
    fs.copyFileSync(RECORDS, journal);
    // events stay open until a continuation line or another event arrives
    let w = startWatch(['--journald', '--flush-interval', '600000'], fakeJournalctl(journal));
    expect(await until(() => w.stderr().includes('watching'), 20_000)).toBe(true);
    const [first, frame] = crash(7).split('\n');
    fs.appendFileSync(journal, `${first}\n`);
    // the checkpoint holds the open event's record and a cursor past it
    const saved = (): string => {
      const db = new Database(path.join(dir, 'state.db'), { readonly: true, fileMustExist: true });
      try {
        const row: unknown = db.prepare("SELECT value FROM watch_state WHERE key = 'journald'").get();
        return typeof row === 'object' && row !== null && 'value' in row && typeof row.value === 'string' ? row.value : '';
      } finally {
        db.close();
      }
    };
    expect(await until(() => saved().includes(':::4007') && saved().includes('i=7a'), 20_000)).toBe(true);
    expect(opened(w, '4007')).toBeUndefined();
    w.child.kill('SIGKILL');
    await exited(w.child);
    fs.appendFileSync(journal, `${frame}\n${crash(8)}`);
    w = startWatch(['--journald'], fakeJournalctl(journal));
    expect(await until(() => opened(w, '4007') !== undefined && opened(w, '4008') !== undefined, 20_000)).toBe(true);
    // the frame written after the kill joined the error saved before it
    expect(opened(w, '4007')?.incident.evidence[0]?.text).toContain('at Server.setupListenHandle');
    // the replayed record kept the time journald wrote it
    expect(opened(w, '4007')?.incident.firstSeen).toBe(writtenAt(realRecords()[0] ?? {}));
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
    const ports = storedIncidents().filter((i) => i.rule === 'port-in-use');
    expect(ports.map((i) => [i.captures.port, i.count]).sort()).toEqual([['4007', 1], ['4008', 1]]);
  }, 120_000);
});

/** The machine's journal, when journalctl can read it and systemd-cat can write to it. */
function realJournal(): string | undefined {
  const j = spawnSync('journalctl', ['-n', '1', '-o', 'json', '--no-pager'], { encoding: 'utf8' });
  if (j.error || j.status !== 0) return 'journalctl is not available';
  if (j.stdout.trim() === '') return 'journalctl shows no record (no journal this user can read)';
  if (spawnSync('systemd-cat', ['--help']).error) return 'systemd-cat is not available to write a test record';
  return undefined;
}

const noRealJournal = realJournal();
if (noRealJournal) console.log(`skipping the real journald test: ${noRealJournal}`);

describe.skipIf(noRealJournal !== undefined)('watch --journald (the machine journal)', () => {
  it('reports a crash written to the journal after it started', async () => {
    const tag = `ia-test-${process.pid}`;
    const w = startWatch(['--journald']);
    expect(await until(() => w.stderr().includes('watching'), 20_000)).toBe(true);
    const cat = spawnSync('systemd-cat', ['-t', tag, '-p', 'err'], { input: 'Error: listen EADDRINUSE: address already in use :::3999\n' });
    expect(cat.status).toBe(0);
    expect(await until(() => w.lines.some((l) => l.incident.services.includes(tag)), 30_000)).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
  }, 60_000);
});
