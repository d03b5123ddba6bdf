// `incident-analyser watch` as users run it: a real child process following real files, and a
// real PM2 (the pm2 package, with its own PM2_HOME in a temp folder) whose apps crash.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exited, readOutput, sleep, until } from '../support/child.js';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
const PM2 = fileURLToPath(new URL('../../node_modules/.bin/pm2', import.meta.url));

let dir: string;
let children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-watchcli-'));
});
let pm2Home: string | undefined;

afterEach(() => {
  // a PM2 daemon must never outlive its test, even one that timed out
  if (pm2Home) spawnSync(PM2, ['kill'], { env: { ...process.env, PM2_HOME: pm2Home }, timeout: 30_000 });
  pm2Home = undefined;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  fs.rmSync(dir, { recursive: true, force: true });
});


interface Watch {
  child: ChildProcess;
  lines: Array<{ event: string; incident: { rule: string; services: string[]; count: number; id: string; links: Array<{ relation: string; id: string }> } }>;
  stderr: () => string;
}

function startWatch(...args: string[]): Watch {
  const child = spawn(process.execPath, [BIN, 'watch', '--db', path.join(dir, 'state.db'), '--format', 'json', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  children.push(child);
  const w: Watch = { child, ...readOutput<Watch['lines'][number]>(child) };
  return w;
}



const eaddrinuse = (): string => `${new Date().toISOString().slice(0, 19)}: Error: listen EADDRINUSE: address already in use :::3000\n`;

describe('watch', () => {
  it('starts at the end of existing files, opens an incident for a new line, and exits 0 on SIGTERM', async () => {
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'logs', 'api-error.log'), eaddrinuse().repeat(3)); // old: not reported
    const w = startWatch('logs');
    await until(() => w.stderr().includes('watching'), 5000);
    await sleep(300);
    expect(w.lines).toEqual([]);
    fs.appendFileSync(path.join(dir, 'logs', 'api-error.log'), eaddrinuse());
    expect(await until(() => w.lines.some((l) => l.event === 'opened' && l.incident.rule === 'port-in-use'), 3000)).toBe(true);
    expect(w.lines[0]?.incident.services).toEqual(['api']);
    w.child.kill('SIGTERM');
    expect(await exited(w.child)).toBe(0);
  }, 20_000);

  it('waits for a path that does not exist yet', async () => {
    const w = startWatch('later/app-error.log');
    await until(() => w.stderr().includes('watching'), 5000);
    await sleep(300);
    fs.mkdirSync(path.join(dir, 'later'));
    fs.writeFileSync(path.join(dir, 'later', 'app-error.log'), eaddrinuse());
    expect(await until(() => w.lines.some((l) => l.incident.rule === 'port-in-use'), 10_000)).toBe(true);
    w.child.kill('SIGINT');
    expect(await exited(w.child)).toBe(0);
  }, 20_000);

  it('resolves an incident after its quiet period and links the recurrence to it', async () => {
    fs.mkdirSync(path.join(dir, 'rules'));
    fs.writeFileSync(
      path.join(dir, 'rules', 'boom.yaml'),
      `id: boom
title: Boom
severity: error
match:
  - regex: 'BOOM happened'
window: 1s
resolve_after: 1s
diagnosis: it went boom
examples: { match: ['BOOM happened'], no_match: ['boom'] }
`,
    );
    fs.writeFileSync(path.join(dir, 'app.log'), '');
    const w = startWatch('app.log', '--rules', 'rules', '--poll-interval', '200');
    await until(() => w.stderr().includes('watching'), 5000);
    await sleep(300);
    const boom = (): void => fs.appendFileSync(path.join(dir, 'app.log'), `${new Date().toISOString()} BOOM happened\n`);
    boom();
    expect(await until(() => w.lines.some((l) => l.event === 'opened'), 3000)).toBe(true);
    expect(await until(() => w.lines.some((l) => l.event === 'resolved'), 5000)).toBe(true);
    await sleep(1100); // log time moves on past the window too
    boom();
    expect(await until(() => w.lines.filter((l) => l.event === 'opened').length === 2, 3000)).toBe(true);
    const [first, second] = w.lines.filter((l) => l.event === 'opened');
    expect(second?.incident.id).not.toBe(first?.incident.id);
    expect(second?.incident.links).toEqual([expect.objectContaining({ relation: 'recurrence-of', id: first?.incident.id })]);
    w.child.kill('SIGINT');
    expect(await exited(w.child)).toBe(0);
  }, 20_000);

  it('survives a 50 MB line, a 100k-line burst and a file replaced by a directory, and says so', async () => {
    const file = path.join(dir, 'api-error.log');
    fs.writeFileSync(file, '');
    const w = startWatch('.', '--poll-interval', '200');
    await until(() => w.stderr().includes('watching'), 5000);
    await sleep(300);
    fs.appendFileSync(file, `${'z'.repeat(50 * 1024 * 1024)}\n${eaddrinuse()}`);
    expect(await until(() => w.lines.some((l) => l.incident.rule === 'port-in-use'), 10_000)).toBe(true);
    expect(w.stderr()).toMatch(/api-error\.log: a line longer than 64 KiB was cut/);
    const burst = Array.from({ length: 100_000 }, (_, i) => (i % 25_000 === 0 ? eaddrinuse().replace(':::3000', `:::${4000 + i}`) : `GET /p${i} 200\n`)).join('');
    fs.appendFileSync(file, burst);
    expect(await until(() => w.lines.filter((l) => l.incident.rule === 'port-in-use').length === 5, 10_000)).toBe(true);
    fs.rmSync(file);
    fs.mkdirSync(file);
    expect(await until(() => /api-error\.log: not a regular file \(a directory\)/.test(w.stderr()), 10_000)).toBe(true);
    // the periodic rescan (every 5 polls) watches the folder too: its removal then announces
    // api-error.log/api-error.log, a path whose stat fails with ENOTDIR once the file is back
    await sleep(1500);
    fs.rmdirSync(file);
    fs.writeFileSync(file, eaddrinuse().replace(':::3000', ':::9999'));
    expect(await until(() => w.lines.some((l) => l.incident.rule === 'port-in-use' && JSON.stringify(l).includes('9999')), 10_000)).toBe(true);
    expect(w.child.exitCode).toBeNull();
    w.child.kill('SIGINT');
    expect(await exited(w.child)).toBe(0);
  }, 40_000);

  it('--ps-interval reports the same watcher command running several times', async () => {
    const marker = `ia-dup-${process.pid}-${Date.now()}.ts`;
    for (let i = 0; i < 3; i++) {
      children.push(spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'tsx', 'watch', marker], { stdio: 'ignore' }));
    }
    const w = startWatch('--ps-interval', '0.5');
    const found = await until(() => w.lines.some((l) => l.incident.rule === 'duplicate-process' && l.incident.services.some((s) => s.includes(marker))), 8000);
    expect(found, w.stderr()).toBe(true);
    w.child.kill('SIGINT');
    expect(await exited(w.child)).toBe(0);
    // all three copies are counted once each in the stored incident, however many scans saw them
    const listed = spawnSync(process.execPath, [BIN, 'incidents', 'list', '--db', path.join(dir, 'state.db'), '--format', 'json', '--rule', 'duplicate-process'], { encoding: 'utf8' });
    const doc = JSON.parse(listed.stdout) as { incidents: Array<{ services: string[]; count: number; captureValues: { pid?: string[] } }> };
    const inc = doc.incidents.find((i) => i.services.some((s) => s.includes(marker)));
    expect(inc?.count).toBe(3);
    expect(inc?.captureValues.pid).toHaveLength(3);
  }, 20_000);

  it('--pm2 --ecosystem also follows the custom log paths of an ecosystem file', async () => {
    const home = path.join(dir, 'pm2-home');
    fs.mkdirSync(path.join(home, 'logs'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'custom'));
    fs.writeFileSync(
      path.join(dir, 'ecosystem.config.js'),
      `module.exports = { apps: [{ name: 'shop', script: 'x.js', error_file: '${path.join(dir, 'custom', 'shop-err.log')}', out_file: '/dev/null' }] };`,
    );
    const w = startWatch('--pm2', home, '--ecosystem', path.join(dir, 'ecosystem.config.js'));
    await until(() => w.stderr().includes('watching'), 5000);
    await sleep(300);
    fs.writeFileSync(path.join(dir, 'custom', 'shop-err.log'), eaddrinuse());
    expect(await until(() => w.lines.some((l) => l.incident.rule === 'port-in-use'), 10_000), w.stderr()).toBe(true);
    w.child.kill('SIGINT');
    expect(await exited(w.child)).toBe(0);
  }, 20_000);

  it('--pm2 finds a real PM2 crash loop and the error behind it', async () => {
    const home = path.join(dir, 'pm2-home');
    pm2Home = home;
    const env = { ...process.env, PM2_HOME: home };
    const app = path.join(dir, 'server.js');
    // a server whose port is taken by a blocker: it crashes with EADDRINUSE, PM2 restarts it
    const blocker = spawn(process.execPath, ['-e', "const s=require('net').createServer();s.listen(0,()=>{console.log(s.address().port)});setInterval(()=>{},1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(blocker);
    const port = await new Promise<string>((resolve) => blocker.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())));
    fs.writeFileSync(app, `require('net').createServer().listen(${port});`);
    const w = startWatch('--pm2', home);
    await until(() => w.stderr().includes('watching'), 5000);
    // generous waits: on a loaded machine (CI runs test files in parallel) the daemon's first
    // start alone can take many seconds; a healthy run takes about 6 s
    const start = spawnSync(PM2, ['start', app, '--name', 'crashy', '--time', '--max-restarts', '6', '--restart-delay', '200'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(start.status, start.stderr).toBe(0);
    const loop = await until(() => w.lines.some((l) => l.incident.rule === 'pm2-restart-loop' && l.incident.services.includes('crashy')), 60_000);
    expect(loop, w.stderr()).toBe(true);
    const portIncident = await until(() => w.lines.some((l) => l.incident.rule === 'port-in-use' && l.incident.services.includes('crashy')), 30_000);
    expect(portIncident, JSON.stringify(w.lines.map((l) => [l.event, l.incident.rule, l.incident.services]))).toBe(true);
    w.child.kill('SIGINT');
    expect(await exited(w.child)).toBe(0);
  }, 180_000);
});
