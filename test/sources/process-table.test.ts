import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { correlate } from '../support/correlate.js';
import { loadRuleFile } from '../../src/rules/load-rules.js';
import { matchRule } from '../../src/match/matcher.js';
import { parseStat, processEvents, readProcessTable, type ProcessRow } from '../../src/sources/process-table.js';

const onLinux = fs.existsSync('/proc/self/stat');
let dir: string;
let children: ChildProcess[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-ps-'));
  // Named like npm's shim so the command line has the shape of a real `tsx watch` dev server.
  fs.writeFileSync(path.join(dir, 'tsx'), 'setTimeout(() => {}, 60_000);\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
});

/** Start `n` copies of `node <dir>/tsx watch <marker>.ts` and wait until /proc shows all of them exec'd. */
async function startCopies(n: number, marker: string): Promise<ProcessRow[]> {
  for (let i = 0; i < n; i++) {
    children.push(spawn(process.execPath, [path.join(dir, 'tsx'), 'watch', `${marker}.ts`], { stdio: 'ignore' }));
  }
  const pids = new Set(children.map((c) => c.pid));
  const deadline = Date.now() + 5000;
  for (;;) {
    // Between fork and exec a child still shows the parent's command line: wait for the new one.
    const rows = readProcessTable().filter((r) => pids.has(r.pid) && r.command.includes(marker));
    if (rows.length === n || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(onLinux)('live process table', () => {
  it('lists real processes with their command line, parent, start time and user', async () => {
    const marker = `ia-dup-marker-${Math.random().toString(36).slice(2, 10)}`;
    const rows = await startCopies(3, marker);
    expect(rows.map((r) => r.pid).sort()).toEqual(children.map((c) => c.pid).sort());
    for (const row of rows) {
      expect(row.command).toBe(`${process.execPath} ${path.join(dir, 'tsx')} watch ${marker}.ts`);
      expect(row.ppid).toBe(process.pid);
      expect(Math.abs((row.startedAt ?? 0) - Date.now())).toBeLessThan(5000);
      expect(row.user).toBe(os.userInfo().username);
    }
  });

  it('shows this test process and skips kernel threads', () => {
    const rows = readProcessTable();
    const self = rows.find((r) => r.pid === process.pid);
    expect(self?.ppid).toBe(process.ppid);
    expect(self?.command).toContain(path.basename(process.execPath));
    expect(rows.every((r) => r.command !== '')).toBe(true);
  });

  it('feeds the duplicate-process rule: three copies become one incident', async () => {
    const marker = `ia-dup-marker-${Math.random().toString(36).slice(2, 10)}`;
    const rows = await startCopies(3, marker);
    const now = Date.now();
    const events = processEvents(readProcessTable(), now);
    const rule = loadRuleFile(path.resolve('rules/duplicate-process.yaml'), true);
    const matches = events.flatMap((e) => matchRule(rule, e) ?? []).filter((m) => m.captures.target === `${marker}.ts`);
    expect(matches.map((m) => m.event.pid).sort()).toEqual(rows.map((r) => r.pid).sort());
    expect(new Set(matches.map((m) => m.groupKey)).size).toBe(1);

    const [incident, ...rest] = correlate([rule], matches, now);
    expect(rest).toEqual([]);
    expect(incident?.rule).toBe('duplicate-process');
    expect(incident?.count).toBe(3);
    expect(incident?.summary).toContain('3 processes of `tsx watch`');
  });
});

describe('process events', () => {
  it('look like ps -ef rows and carry pid, ppid, start and user', () => {
    const now = Date.now();
    const started = now - 60_000;
    const old = Date.parse('2020-01-02T03:04:05Z');
    const events = processEvents(
      [
        { pid: 4410, ppid: 1, user: 'app', startedAt: started, command: 'node /srv/web/node_modules/.bin/next dev' },
        { pid: 4411, ppid: 4410, user: undefined, startedAt: old, command: 'next-server (v15.3.3)' },
      ],
      now,
    );
    const hhmm = `${String(new Date(started).getHours()).padStart(2, '0')}:${String(new Date(started).getMinutes()).padStart(2, '0')}`;
    expect(events[0]).toMatchObject({
      kind: 'ps',
      file: 'process-table',
      line: 1,
      text: 'node /srv/web/node_modules/.bin/next dev',
      time: now,
      pid: 4410,
      fields: { ppid: '1', start: hhmm, user: 'app' },
    });
    expect(events[0]?.raw).toBe(`app         4410       1 ${hhmm} node /srv/web/node_modules/.bin/next dev`);
    expect(events[1]).toMatchObject({ line: 2, fields: { ppid: '4410', start: '2020-01-02T03:04:05.000Z', user: '?' } });
  });
});

describe('/proc/<pid>/stat', () => {
  // 52 fields; starttime (field 22) = 987654.
  const tail = 'S 321 321 321 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';

  it('reads the fields after the LAST parenthesis, whatever the comm holds', () => {
    expect(parseStat(`1234 (my ) app) ${tail}\n`)).toEqual({ pid: 1234, comm: 'my ) app', ppid: 321, startTicks: 987654 });
    expect(parseStat(`7 ((sd-pam)) ${tail}`)).toEqual({ pid: 7, comm: '(sd-pam)', ppid: 321, startTicks: 987654 });
    expect(parseStat(`8 (a) b (c) S 9) ${tail}`)?.ppid).toBe(321);
  });

  it('rejects what is not a stat line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('1234 no parens S 1')).toBeUndefined();
    expect(parseStat('1234 (x) S')).toBeUndefined();
  });
});

describe('a /proc tree on disk', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-proc-'));
    const proc = (pid: number, files: Record<string, string>): void => {
      fs.mkdirSync(path.join(root, String(pid)));
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, String(pid), name), text);
    };
    fs.writeFileSync(path.join(root, 'stat'), 'cpu  1 2 3 4\nintr 0\nbtime 1700000000\nprocesses 10\n');
    fs.mkdirSync(path.join(root, 'sys'));
    fs.writeFileSync(path.join(root, 'uptime'), '1.0 1.0\n');
    const statLine = (pid: number, comm: string, ppid: number, start: number): string =>
      `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 0 0\n`;
    proc(1, { cmdline: '/sbin/init\0splash\0', stat: statLine(1, 'systemd', 0, 10), status: 'Name:\tsystemd\nUid:\t0\t0\t0\t0\n' });
    proc(2, { cmdline: '', stat: statLine(2, 'kthreadd', 0, 0), status: 'Uid:\t0\t0\t0\t0\n' });
    // Vanished between readdir and the stat read.
    proc(3, { cmdline: 'gone\0' });
    proc(4, {
      cmdline: 'PM2 v7.0.4: God Daemon (/root/.pm2)\0\0\0\0',
      stat: statLine(4, 'PM2 v7.0.4: God', 1, 250),
      status: 'Uid:\t1000\t0\t0\t0\n',
    });
    // Longer than the 64 KiB read buffer.
    proc(5, { cmdline: `node\0${'x'.repeat(70_000)}\0`, stat: statLine(5, 'node', 1, 300), status: 'Uid:\t4242\t4242\t4242\t4242\n' });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keeps user processes, skips kernel threads and vanished ones, and dates starts from btime', () => {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    expect(readProcessTable(root)).toEqual([
      { pid: 1, ppid: 0, user: 'root', startedAt: 1_700_000_000_000 + (10 * 1000) / hz, command: '/sbin/init splash' },
      // The effective uid (0) is what ps shows, not the real one.
      { pid: 4, ppid: 1, user: 'root', startedAt: 1_700_000_000_000 + (250 * 1000) / hz, command: 'PM2 v7.0.4: God Daemon (/root/.pm2)' },
      // A uid without a passwd entry shows as the number, like ps.
      { pid: 5, ppid: 1, user: '4242', startedAt: 1_700_000_000_000 + (300 * 1000) / hz, command: `node ${'x'.repeat(70_000)}` },
    ]);
  });

  it('is empty where there is no /proc', () => {
    expect(readProcessTable(path.join(root, 'missing'))).toEqual([]);
  });
});
