// `--webhook <url>` as users run it: the built CLI posting change records to a real local HTTP
// server, through a failure, from analyze, report and watch.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/http-receiver.js';
import { sleep } from '../support/child.js';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../fixtures/seed-004-db-pool-timeout', import.meta.url));

let dir: string;
let rx: Receiver;
let children: ChildProcess[] = [];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-webhook-'));
  rx = await startReceiver();
});
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  await rx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}


describe('--webhook', () => {
  it('analyze posts one change record per incident, retrying a 503', async () => {
    rx.failWith = [503];
    const r = await run(['analyze', FIXTURE, '--format', 'json', '--webhook', `${rx.url}/feishu/token123`, '--host', 'db-box', '--out', 'reports']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ id: string }> };
    expect(rx.received.map((x) => x.status)).toEqual([503, 200]);
    const body = JSON.parse(rx.received[1]?.body ?? '{}');
    expect(body).toMatchObject({
      version: 1,
      event: 'resolved',
      host: 'db-box',
      incident: { id: doc.incidents[0]?.id, rule: 'db-pool-timeout', services: ['backend'] },
      report: path.join(fs.realpathSync(dir), 'reports', 'incidents', `${doc.incidents[0]?.id}.md`),
    });
    expect(rx.received[1]?.path).toBe('/feishu/token123');
    // the token in the URL is not printed
    expect(r.stderr).toMatch(/webhook http:\/\/127\.0\.0\.1:\d+\/feishu\/…: delivery failed \(HTTP 503/);
    expect(r.stderr).not.toContain('token123');
  }, 30_000);

  it('report posts stored incidents; an unreachable receiver is an error after the retries, exit 2', async () => {
    const db = path.join(dir, 'store.db');
    expect((await run(['analyze', FIXTURE, '--db', db, '--quiet'])).code).toBe(0);
    const ok = await run(['report', '--db', db, '--out', 'out', '--webhook', rx.url, '--runbook-url', 'https://wiki.example/incidents/']);
    expect(ok.code, ok.stderr).toBe(0);
    const body = JSON.parse(rx.received[0]?.body ?? '{}') as { report: string; incident: { id: string } };
    expect(body.report).toBe(`https://wiki.example/incidents/${body.incident.id}.md`);

    const closed = `http://127.0.0.1:${(await freeClosedPort())}/hook`;
    const bad = await run(['report', '--db', db, '--out', 'out', '--webhook', closed]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^incident-analyser: webhook http:\/\/127\.0\.0\.1:\d+\/hook\/…: 1 change\(s\) not delivered \(fetch failed \(connect ECONNREFUSED/m);
  }, 60_000);

  it('rejects a URL that is not http(s), naming the option', async () => {
    const r = await run(['analyze', FIXTURE, '--webhook', 'file:///etc/passwd']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--webhook <url>' argument 'file:///etc/passwd' is invalid. expected an http:// or https:// URL");
  });

  it('watch posts opened and resolved changes as they happen', async () => {
    fs.writeFileSync(path.join(dir, 'boom.yaml'), `id: boom\ntitle: Boom\nseverity: error\nmatch:\n  - regex: 'BOOM happened'\nwindow: 1s\nresolve_after: 1s\ndiagnosis: it went boom\nexamples: { match: ['BOOM happened'], no_match: ['boom'] }\n`);
    fs.writeFileSync(path.join(dir, 'app.log'), '');
    const child = spawn(process.execPath, [BIN, 'watch', 'app.log', '--db', 'state.db', '--rules', 'boom.yaml', '--webhook', rx.url, '--poll-interval', '200'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    for (let i = 0; i < 100 && !err.includes('watching'); i++) await sleep(50);
    await sleep(300);
    fs.appendFileSync(path.join(dir, 'app.log'), `${new Date().toISOString()} BOOM happened\n`);
    const events = (): string[] => rx.received.map((x) => (JSON.parse(x.body) as { event: string }).event);
    for (let i = 0; i < 200 && !events().includes('resolved'); i++) await sleep(50);
    expect(events(), err).toEqual(['opened', 'resolved']);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
  }, 30_000);
});

describe('watch shutdown', () => {
  async function startFailingWatch(): Promise<{ child: ChildProcess; err: () => string }> {
    fs.writeFileSync(path.join(dir, 'boom.yaml'), `id: boom\ntitle: Boom\nseverity: error\nmatch:\n  - regex: 'BOOM happened'\nwindow: 1m\ndiagnosis: it went boom\nexamples: { match: ['BOOM happened'], no_match: ['boom'] }\n`);
    fs.writeFileSync(path.join(dir, 'app.log'), '');
    rx.failWith = Array.from({ length: 1000 }, () => 503);
    const child = spawn(process.execPath, [BIN, 'watch', 'app.log', '--db', 'state.db', '--rules', 'boom.yaml', '--webhook', rx.url, '--poll-interval', '200'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    for (let i = 0; i < 100 && !err.includes('watching'); i++) await sleep(50);
    await sleep(300);
    fs.appendFileSync(path.join(dir, 'app.log'), `${new Date().toISOString()} BOOM happened\n`);
    for (let i = 0; i < 200 && rx.received.length === 0; i++) await sleep(50);
    expect(rx.received.map((r) => r.status), err).toEqual([503]);
    return { child, err: () => err };
  }

  it('SIGTERM tries pending deliveries once more and exits 0 when they get through', async () => {
    const { child, err } = await startFailingWatch();
    rx.failWith = []; // the receiver is back
    const signalled = rx.received.length;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
    expect(rx.received.slice(signalled).map((r) => r.status)).toContain(200);
    expect(JSON.parse(rx.received.at(-1)?.body ?? '{}')).toMatchObject({ event: 'opened', incident: { rule: 'boom' } });
    expect(err()).not.toMatch(/not delivered/);
  }, 30_000);

  it('SIGTERM with the receiver still down: one more attempt, then says what was not delivered, exit 0', async () => {
    const { child, err } = await startFailingWatch();
    const signalled = rx.received.length;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
    expect(rx.received.length).toBeGreaterThan(signalled);
    expect(err()).toMatch(/incident-analyser: webhook http:\/\/127\.0\.0\.1:\d+\/: 1 change\(s\) not delivered \(HTTP 503: failing on purpose with 503\)/);
  }, 30_000);
});

async function freeClosedPort(): Promise<number> {
  const { freePort } = await import('../support/alertmanager.js');
  return freePort();
}


