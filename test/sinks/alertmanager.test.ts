// The Alertmanager sink against a real Alertmanager: two agents (two stores, two --host names)
// report the same problem; Alertmanager holds two alerts with our labels in one group, notifies
// its receiver once for the group, and after both incidents resolve notifies `resolved` with
// endsAt set. Open incidents are re-sent before their alerts expire, to each of an HA pair, and
// a restarted agent asserts its open incident again without a new log line.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertmanagerBinary, INSTALL_HINT, startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { exited, readOutput, sleep, until } from '../support/child.js';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
const AM = alertmanagerBinary();
if (!AM) console.warn(`alertmanager tests skipped: no Alertmanager binary; ${INSTALL_HINT}`);

let dir: string;
let children: ChildProcess[] = [];
let managers: RunningAlertmanager[] = [];
let servers: http.Server[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-am-'));
});

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  await Promise.all(managers.map((m) => m.stop()));
  managers = [];
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
  fs.rmSync(dir, { recursive: true, force: true });
});



interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}
interface AmGroup {
  labels: Record<string, string>;
  alerts: AmAlert[];
}
interface Notification {
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: Array<{ status: string; labels: Record<string, string>; startsAt: string; endsAt: string }>;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  // the test reads what Alertmanager answered; its shape is what the assertions check
  return (await res.json()) as T;
}

/** A receiver for Alertmanager's own webhook notifications. */
async function receiver(): Promise<{ url: string; received: Notification[] }> {
  const received: Notification[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/notify`, received };
}

function amConfig(notifyUrl: string): string {
  return `route:
  receiver: hook
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${notifyUrl}
        send_resolved: true
`;
}

const RULE = `id: boom
title: Boom
severity: error
match:
  - regex: 'BOOM happened'
window: 1s
# long enough that a busy machine can't resolve the incident before the test has looked at the open alert
resolve_after: 6s
summary: '{{service}} went boom {{count}} time(s).'
diagnosis: |-
  The boom handler blew up.

  Longer text that the alert description leaves out.
examples: { match: ['BOOM happened'], no_match: ['boom'] }
`;

interface Agent {
  child: ChildProcess;
  lines: Array<{ event: string; host: string; incident: { id: string; firstSeen: string; status: string } }>;
  stderr: () => string;
  log: string;
}

function startAgent(name: string, host: string, amUrls: string[], extra: string[] = []): Agent {
  const home = path.join(dir, name);
  fs.mkdirSync(path.join(home, 'logs'), { recursive: true });
  const log = path.join(home, 'logs', 'api-error.log');
  if (!fs.existsSync(log)) fs.writeFileSync(log, '');
  const child = spawn(
    process.execPath,
    [BIN, 'watch', 'logs', '--db', 'state.db', '--rules', path.join(dir, 'boom.yaml'), '--format', 'json', '--out', 'reports', '--host', host, '--poll-interval', '200', ...amUrls.flatMap((u) => ['--alertmanager', u]), ...extra],
    { cwd: home, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  children.push(child);
  const agent: Agent = { child, ...readOutput<Agent['lines'][number]>(child), log };
  return agent;
}

const boom = (a: Agent): void => fs.appendFileSync(a.log, `${new Date().toISOString()} BOOM happened\n`);


describe.skipIf(!AM)(`alertmanager sink${AM ? '' : ` (skipped: ${INSTALL_HINT})`}`, () => {
  it('two agents on two hosts: two alerts with our labels in one group, then resolved with endsAt', async () => {
    fs.writeFileSync(path.join(dir, 'boom.yaml'), RULE);
    const hook = await receiver();
    const am = await startAlertmanager(AM ?? '', path.join(dir, 'am'), amConfig(hook.url));
    managers.push(am);
    const a = startAgent('a', 'web-1', [am.url]);
    const b = startAgent('b', 'web-2', [am.url]);
    await until(() => a.stderr().includes('watching') && b.stderr().includes('watching'), 10_000);
    await sleep(300);
    boom(a);
    boom(b);
    boom(b);

    const ours = async (): Promise<AmAlert[]> => (await getJson<AmAlert[]>(`${am.url}/api/v2/alerts?filter=alertname%3D%22boom%22`)).filter((x) => x.status.state === 'active');
    expect(await until(async () => (await ours()).length === 2, 15_000), `${a.stderr()}\n${b.stderr()}`).toBe(true);
    const alerts = (await ours()).sort((x, y) => (x.labels.host ?? '').localeCompare(y.labels.host ?? ''));
    const opened = (g: Agent) => g.lines.find((l) => l.event === 'opened');
    for (const [alert, agent, host] of [[alerts[0], a, 'web-1'], [alerts[1], b, 'web-2']] as const) {
      const inc = opened(agent)?.incident;
      expect(alert?.labels).toEqual({ alertname: 'boom', severity: 'error', service: 'api', host, incident_id: inc?.id });
      expect(alert?.annotations.summary).toMatch(/^api went boom \d time\(s\)\.$/);
      expect(alert?.annotations.description).toBe('The boom handler blew up.');
      expect(alert?.annotations.runbook).toBe(path.join(dir, host === 'web-1' ? 'a' : 'b', 'reports', 'incidents', `${inc?.id}.md`));
      expect(Date.parse(alert?.startsAt ?? '')).toBe(Date.parse(inc?.firstSeen ?? ''));
      expect(Date.parse(alert?.endsAt ?? '')).toBeGreaterThan(Date.now());
    }

    // one problem on two hosts: one group
    const groups = (await getJson<AmGroup[]>(`${am.url}/api/v2/alerts/groups`)).filter((g) => g.labels.alertname === 'boom');
    expect(groups).toHaveLength(1);
    expect(groups[0]?.labels).toEqual({ alertname: 'boom', service: 'api' });
    expect(groups[0]?.alerts.map((x) => x.labels.host).sort()).toEqual(['web-1', 'web-2']);
    expect(await until(() => hook.received.some((n) => n.status === 'firing' && n.alerts.length === 2), 10_000)).toBe(true);

    // quiet for resolve_after: both agents resolve, Alertmanager ends the alerts and says so
    expect(await until(() => [a, b].every((g) => g.lines.some((l) => l.event === 'resolved')), 20_000)).toBe(true);
    expect(await until(async () => (await ours()).length === 0, 10_000)).toBe(true);
    expect(await until(() => hook.received.some((n) => n.status === 'resolved'), 10_000)).toBe(true);
    const resolved = hook.received.find((n) => n.status === 'resolved');
    expect(resolved?.groupLabels).toEqual({ alertname: 'boom', service: 'api' });
    expect(resolved?.alerts.map((x) => x.labels.host).sort()).toEqual(['web-1', 'web-2']);
    for (const x of resolved?.alerts ?? []) {
      expect(x.status).toBe('resolved');
      expect(Date.parse(x.endsAt)).toBeGreaterThanOrEqual(Date.parse(x.startsAt));
      expect(Date.parse(x.endsAt)).toBeLessThanOrEqual(Date.now());
    }
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await exited(a.child)).toBe(0);
    expect(await exited(b.child)).toBe(0);
  }, 90_000);

  it('analyze and report send their incidents too', async () => {
    const hook = await receiver();
    const am = await startAlertmanager(AM ?? '', path.join(dir, 'am'), amConfig(hook.url));
    managers.push(am);
    fs.writeFileSync(path.join(dir, 'api-error.log'), `${new Date().toISOString()}: Error: listen EADDRINUSE: address already in use :::3000\n`);
    const run = (args: string[]): Promise<number | null> => {
      const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: 'ignore' });
      children.push(c);
      return exited(c);
    };
    expect(await run(['analyze', 'api-error.log', '--db', 'store.db', '--quiet', '--host', 'batch-1', '--alertmanager', am.url])).toBe(0);
    const alerts = async (host: string): Promise<AmAlert[]> => (await getJson<AmAlert[]>(`${am.url}/api/v2/alerts`)).filter((x) => x.labels.host === host);
    expect(await until(async () => (await alerts('batch-1')).length === 1, 10_000)).toBe(true);
    expect((await alerts('batch-1'))[0]?.labels).toMatchObject({ alertname: 'port-in-use', severity: 'error', service: 'api' });
    expect(await run(['report', '--db', 'store.db', '--out', 'reports', '--host', 'batch-2', '--runbook-url', 'https://wiki.example/i/', '--alertmanager', am.url])).toBe(0);
    expect(await until(async () => (await alerts('batch-2')).length === 1, 10_000)).toBe(true);
    const [fromReport] = await alerts('batch-2');
    expect(fromReport?.annotations.runbook).toBe(`https://wiki.example/i/${fromReport?.labels.incident_id}.md`);
  }, 60_000);

  it('an HA pair gets every alert, and a restarted agent asserts its open incident again', async () => {
    fs.writeFileSync(path.join(dir, 'boom.yaml'), RULE.replace('resolve_after: 6s', 'resolve_after: 10m'));
    const hook = await receiver();
    const am1 = await startAlertmanager(AM ?? '', path.join(dir, 'am1'), amConfig(hook.url));
    const am2 = await startAlertmanager(AM ?? '', path.join(dir, 'am2'), amConfig(hook.url));
    managers.push(am1, am2);
    const active = async (am: RunningAlertmanager): Promise<AmAlert[]> => (await getJson<AmAlert[]>(`${am.url}/api/v2/alerts`)).filter((x) => x.labels.alertname === 'boom');
    const a = startAgent('a', 'web-1', [am1.url, am2.url], ['--alert-resend', '1']);
    await until(() => a.stderr().includes('watching'), 10_000);
    await sleep(300);
    boom(a);
    expect(await until(async () => (await active(am1)).length === 1 && (await active(am2)).length === 1, 15_000), a.stderr()).toBe(true);
    // firing alerts are valid for 4 re-send periods: still active well past that only because re-sent
    const firstEnd = Date.parse((await active(am1))[0]?.endsAt ?? '');
    await sleep(6000);
    for (const am of [am1, am2]) {
      const [alert] = await active(am);
      expect(alert?.status.state).toBe('active');
      expect(Date.parse(alert?.endsAt ?? '')).toBeGreaterThan(firstEnd);
    }
    const id = a.lines.find((l) => l.event === 'opened')?.incident.id;
    // killed once the incident is checkpointed (its report is written after the checkpoint)
    expect(await until(() => fs.existsSync(path.join(dir, 'a', 'reports', 'incidents', `${id}.md`)), 10_000)).toBe(true);
    a.child.kill('SIGKILL');
    await exited(a.child);

    // an Alertmanager that never heard of it (a new one, or one that lost its state)
    const am3 = await startAlertmanager(AM ?? '', path.join(dir, 'am3'), amConfig(hook.url));
    managers.push(am3);
    const again = startAgent('a', 'web-1', [am3.url]);
    expect(await until(async () => (await active(am3)).length === 1, 15_000), again.stderr()).toBe(true);
    expect((await active(am3))[0]?.labels.incident_id).toBe(id);
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe(0);
  }, 90_000);
});
