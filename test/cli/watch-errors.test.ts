// `watch` meeting what users and strangers throw at it, as a real child process: a second watcher
// on the same store, a full disk under --out, hostile names, a pm2 planted in the current folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exited, sleep, until } from '../support/child.js';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));

let dir: string;
let children: ChildProcess[] = [];
const mounts: string[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-watcherr-'));
  fs.mkdirSync(path.join(dir, 'logs'));
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
});


interface Watch {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

function startWatch(args: string[], env: NodeJS.ProcessEnv = process.env): Watch {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NO_COLOR: '1' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { child, stdout: () => out, stderr: () => err };
}



const crash = (port: number): string => `${new Date().toISOString().slice(0, 19)}: Error: listen EADDRINUSE: address already in use :::${port}\n`;
const log = path.join('logs', 'api-error.log');
const append = (text: string): void => fs.appendFileSync(path.join(dir, log), text);
const opened = (w: Watch): number => w.stdout().split('\n').filter((l) => l.includes('"event":"opened"')).length;

describe('watch', () => {
  it('refuses a second watcher on the same store with one line naming it and the PID; a SIGKILLed one leaves no stale lock', async () => {
    fs.writeFileSync(path.join(dir, log), '');
    const first = startWatch(['logs', '--from-start', '--db', 'state.db', '--format', 'json']);
    expect(await until(() => first.stderr().includes('watching'), 10_000)).toBe(true);

    const second = startWatch(['logs', '--from-start', '--db', 'state.db', '--format', 'json']);
    expect(await exited(second.child)).toBe(2);
    expect(second.stderr().trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^incident-analyser: state\\.db is in use by another incident-analyser watch \\(PID ${first.child.pid}, running since [^)]+\\); stop that one first, or give this watch its own --db$`)),
    ]);
    expect(second.stdout()).toBe('');

    // the first one goes on alone: one notification, not two
    append(crash(3000));
    expect(await until(() => opened(first) === 1, 10_000)).toBe(true);

    first.child.kill('SIGKILL');
    await exited(first.child);
    const third = startWatch(['logs', '--from-start', '--db', 'state.db', '--format', 'json']);
    expect(await until(() => third.stderr().includes('watching'), 10_000)).toBe(true);
    append(crash(3001));
    expect(await until(() => opened(third) >= 1, 10_000)).toBe(true);
    third.child.kill('SIGTERM');
    expect(await exited(third.child)).toBe(0);
  }, 60_000);

  it('--out on a full disk: one warning, not one per second; keeps watching; writes once there is room; exits 0 on SIGTERM', async (ctx) => {
    const disk = path.join(dir, 'disk');
    fs.mkdirSync(disk);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]).status !== 0) return ctx.skip();
    mounts.push(disk);
    try {
      fs.writeFileSync(path.join(disk, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: full, as wanted
    }
    fs.writeFileSync(path.join(dir, log), '');
    const w = startWatch(['logs', '--from-start', '--db', 'state.db', '--format', 'json', '--out', 'disk/reports', '--checkpoint-interval', '100']);
    expect(await until(() => w.stderr().includes('watching'), 10_000)).toBe(true);
    // three incidents, and ordinary lines after them: each read is a checkpoint that retries the reports
    for (const port of [3000, 3001, 3002]) {
      append(crash(port));
      await sleep(400);
    }
    for (let i = 0; i < 10; i++) {
      append(`${new Date().toISOString().slice(0, 19)}: GET /health 200\n`);
      await sleep(150);
    }
    expect(await until(() => opened(w) === 3 && w.stderr().includes('cannot write reports'), 10_000)).toBe(true);
    const warnings = w.stderr().split('\n').filter((l) => l.includes('cannot write reports'));
    expect(warnings).toEqual(['incident-analyser: warning: cannot write reports to disk/reports: no space left on the device; nothing was written (reports already there are unchanged); still watching, the reports will be written when possible']);
    expect(w.stderr()).not.toMatch(/this is a bug|\n\s+at /);

    fs.rmSync(path.join(disk, 'filler'));
    append(`${new Date().toISOString().slice(0, 19)}: GET /health 200\n`);
    expect(await until(() => fs.existsSync(path.join(disk, 'reports', 'summary.md')), 10_000)).toBe(true);
    expect(fs.readdirSync(path.join(disk, 'reports', 'incidents'))).toHaveLength(3);
    expect(await until(() => w.stderr().includes('reports in disk/reports are up to date again'), 5000)).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
  }, 60_000);

  it('JSON lines and text lines carry no raw bidi or escape characters from a log', async () => {
    const name = 'api\u202Egpj.exe\u001b]0;owned\u0007';
    fs.writeFileSync(path.join(dir, 'logs', `${name}-error.log`), crash(3000));
    const json = startWatch(['logs', '--from-start', '--db', 'j.db', '--format', 'json']);
    const text = startWatch(['logs', '--from-start', '--db', 't.db', '--format', 'text']);
    expect(await until(() => json.stdout().includes('\n') && text.stdout().includes('\n'), 10_000)).toBe(true);
    for (const w of [json, text]) expect(w.stdout()).not.toMatch(/[\u202e\u001b\u0007]/);
    expect((JSON.parse(json.stdout().split('\n')[0] ?? '') as { incident: { services: string[] } }).incident.services).toEqual([name]);
    expect(text.stdout()).toContain('api<U+202E>gpj.exe<U+001B>]0;owned<U+0007>');
  }, 60_000);
});

describe('watch --pm2', () => {
  let server: net.Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('never runs a pm2 found in the current folder; --pm2-bin names one explicitly', async () => {
    // a PM2 home whose daemon seems to answer, so discovery wants `pm2 jlist`
    const home = path.join(dir, 'pm2-home');
    fs.mkdirSync(path.join(home, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(home, 'pm2.pid'), String(process.pid));
    server = net.createServer((s) => s.destroy());
    const listening = server;
    await new Promise<void>((r) => listening.listen(path.join(home, 'rpc.sock'), r));
    // what a cloned repository could carry
    const marker = path.join(dir, 'ran');
    const evil = path.join(dir, 'node_modules', '.bin', 'pm2');
    fs.mkdirSync(path.dirname(evil), { recursive: true });
    fs.writeFileSync(evil, `#!/bin/sh\n: > ${JSON.stringify(marker)}\necho '[]'\n`, { mode: 0o755 });

    const w = startWatch(['--pm2', home, '--db', 'a.db'], { ...process.env, PATH: `:.:node_modules/.bin:${path.dirname(process.execPath)}:/usr/bin:/bin` });
    expect(await until(() => w.stderr().includes('watching'), 10_000)).toBe(true);
    expect(w.stderr()).toContain('pm2: pm2 not found on PATH (--pm2-bin names it): no `pm2 jlist`');
    expect(fs.existsSync(marker)).toBe(false);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);

    const named = startWatch(['--pm2', home, '--pm2-bin', evil, '--db', 'b.db']);
    expect(await until(() => named.stderr().includes('watching'), 10_000)).toBe(true);
    expect(fs.existsSync(marker)).toBe(true);
  }, 60_000);

  it('--help says which ecosystem files are executed', () => {
    const r = spawnSync(process.execPath, [BIN, 'watch', '--help'], { encoding: 'utf8' });
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('.json/.yaml files are read as data, a .js/.cjs/.mjs file is EXECUTED (imported), as pm2 does');
    expect(r.stdout).toContain('--pm2-bin <file>');
  });
});
