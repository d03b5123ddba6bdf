// Scopes: logs of different boxes or scenarios analysed in one run never merge into one incident
// and never link as cause and effect; a process snapshot without a date is dated from its own
// folder's logs. The proof on real data: all of fixtures/ at once gives what each folder gives alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url)).replace(/\/$/, '');
const rules = loadRules();

/** An incident as a reader sees it, without its id (ids carry the scope in a multi-scope run). */
function shape(incident: Incident, all: Incident[]): string {
  const byId = new Map(all.map((i) => [i.id, i]));
  const links = incident.links
    .map((l) => {
      const other = byId.get(l.id);
      return `${l.relation}:${l.rule}/${other?.services.join(',') ?? '?'}@${other?.firstSeen ?? '?'}`;
    })
    .sort();
  return JSON.stringify([
    incident.rule,
    incident.services,
    incident.count,
    incident.severity,
    incident.status,
    incident.firstSeen,
    incident.lastSeen,
    incident.timeApprox,
    incident.files,
    incident.evidence.map((e) => `${e.file}:${e.line}`),
    links,
  ]);
}

describe('analysing all of fixtures/ at once', () => {
  const folders = fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    // every scenario folder, with or without an expected.json (journald/ has records only)
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();

  it('finds the same incidents, counts and links as analysing each fixture folder alone', async () => {
    const together = await analyze({ paths: [FIXTURES], rules });
    let total = 0;
    for (const name of folders) {
      const folder = path.join(FIXTURES, name);
      const alone = await analyze({ paths: [folder], rules });
      // a run of one folder has no folder label, so its incident ids are what they always were; a
      // second host named in its lines (excerpts of several machines) or a sub-folder of a
      // collection (fixtures/real-excerpts-other-formats/*) is the only split
      const inFolder = (scope: string | undefined): boolean =>
        scope === folder || (scope?.startsWith(`${folder}@`) ?? false) || (scope?.startsWith(`${folder}${path.sep}`) ?? false);
      expect(alone.incidents.every((i) => i.scope === undefined || i.scope.startsWith('@') || inFolder(i.scope))).toBe(true);
      const mine = together.incidents.filter((i) => inFolder(i.scope));
      const rel = (i: Incident): string => {
        const s = i.scope ?? '';
        return s.startsWith(folder) ? s.slice(folder.length) : s;
      };
      const scoped = (i: Incident, all: Incident[]): string => `${rel(i)} ${shape(i, all)}`;
      expect(mine.map((i) => scoped(i, together.incidents)).sort(), name).toEqual(alone.incidents.map((i) => scoped(i, alone.incidents)).sort());
      total += alone.incidents.length;
    }
    expect(together.incidents).toHaveLength(total);
    expect(total).toBeGreaterThan(10);
  });

  it('keeps the true link of seed 000 (duplicates → .next ENOENT) and no link across scenarios', async () => {
    const { incidents } = await analyze({ paths: [FIXTURES], rules });
    const byId = new Map(incidents.map((i) => [i.id, i]));
    for (const i of incidents) for (const l of i.links) expect(byId.get(l.id)?.scope, `${i.id} → ${l.id}`).toBe(i.scope);
    const seed0 = path.join(FIXTURES, 'seed-000-duplicate-dev-processes');
    const enoent = incidents.find((i) => i.rule === 'next-build-missing' && i.scope === seed0);
    expect(enoent?.links.filter((l) => l.relation === 'caused-by').map((l) => l.rule)).toContain('duplicate-process');
    // the EADDRINUSE of the PM2 crash loop (another box, months later) has no duplicate-process cause
    const crash = incidents.find((i) => i.rule === 'port-in-use' && i.services.includes('api'));
    expect(crash?.links.map((l) => l.rule)).toEqual(['pm2-restart-loop']);
  });

  it('does not merge the ps aux of seed 000 with the ps -ef of seed 001', async () => {
    const { incidents } = await analyze({ paths: [FIXTURES], rules });
    const tsx = incidents.filter((i) => i.rule === 'duplicate-process' && i.services.includes('tsx watch server.ts'));
    expect(tsx.map((i) => path.basename(i.scope ?? '')).sort()).toEqual(['seed-000-duplicate-dev-processes', 'seed-001-next-api-404']);
    for (const i of tsx) expect(new Set(i.files.map((f) => path.dirname(f))).size).toBe(1);
  });
});

describe('scopes from paths and hosts', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-scopes-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(rel: string, content: string, mtime?: Date): void {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    if (mtime) fs.utimesSync(p, mtime, mtime);
  }

  const PS_HEADER = 'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND';
  const psRow = (pid: number, cmd: string): string => `root ${pid} 0.0 0.1 1000 2000 pts/0 Sl+ Feb08 0:01 ${cmd}`;
  const eaddr = (t: string): string => `${t}: Error: listen EADDRINUSE: address already in use :::3000`;

  it('dates an undated snapshot from its own folder, not from another box’s later logs', async () => {
    write('box-a/ps-aux.txt', [PS_HEADER, psRow(101, 'node /app/node_modules/.bin/tsx watch server.ts'), psRow(102, 'node /app/node_modules/.bin/tsx watch server.ts'), ''].join('\n'));
    write('box-a/web-error.log', `${eaddr('2026-02-08T16:40:00')}\n${eaddr('2026-02-08T16:40:05')}\n`);
    write('box-b/api-error.log', `${eaddr('2026-11-22T14:58:39')}\n${eaddr('2026-11-22T14:58:44')}\n`);
    const { incidents } = await analyze({ paths: [dir], rules });
    const dup = incidents.find((i) => i.rule === 'duplicate-process');
    expect(dup?.firstSeen).toBe('2026-02-08T16:40:05.000Z');
    expect(dup?.timeApprox).toBe(true);
    expect(dup?.scope).toBe(path.join(dir, 'box-a'));
    const linked = incidents.filter((i) => i.links.some((l) => l.rule === 'duplicate-process')).map((i) => i.services.join());
    expect(linked).toEqual(['web']);
  });

  it('never links incidents of two boxes, even at the same time', async () => {
    write('box-a/ps-aux.txt', [PS_HEADER, psRow(101, 'node tsx watch server.ts'), psRow(102, 'node tsx watch server.ts'), ''].join('\n'));
    write('box-a/web-error.log', `${eaddr('2026-02-08T16:40:00')}\n`);
    write('box-b/api-error.log', `${eaddr('2026-02-08T16:40:01')}\n${eaddr('2026-02-08T16:40:02')}\n`);
    const { incidents } = await analyze({ paths: [dir], rules });
    const dup = incidents.find((i) => i.rule === 'duplicate-process');
    expect(dup?.links.map((l) => incidents.find((i) => i.id === l.id)?.services.join())).toEqual(['web']);
  });

  it('dates a snapshot alone in its folder at its file time, flagged approximate', async () => {
    write('box-a/ps-aux.txt', [PS_HEADER, psRow(101, 'node tsx watch server.ts'), psRow(102, 'node tsx watch server.ts'), ''].join('\n'), new Date('2026-03-01T12:00:00Z'));
    write('box-b/api-error.log', `${eaddr('2026-11-22T14:58:39')}\n`);
    const { incidents } = await analyze({ paths: [dir], rules });
    const dup = incidents.find((i) => i.rule === 'duplicate-process');
    expect(dup?.firstSeen).toBe('2026-03-01T12:00:00.000Z');
    expect(dup?.timeApprox).toBe(true);
  });

  it('keeps a PM2 home one scope when its log folder and its pm2.log are given apart', async () => {
    write('pm2home/pm2.log', '2026-02-10T03:12:40: PM2 log: App [api:0] starting in -fork mode-\n');
    write('pm2home/logs/api-error.log', `${eaddr('2026-02-10T03:12:42')}\n${eaddr('2026-02-10T03:12:47')}\n`);
    const { incidents } = await analyze({ paths: [path.join(dir, 'pm2home', 'logs'), path.join(dir, 'pm2home', 'pm2.log')], rules });
    expect(incidents.map((i) => i.scope)).toEqual([undefined]);
  });

  it('never merges the same failure of two boxes given as two paths', async () => {
    write('a/api-error.log', `${eaddr('2026-02-10T03:12:42')}\n${eaddr('2026-02-10T03:12:47')}\n`);
    write('b/api-error.log', `${eaddr('2026-02-10T03:12:42')}\n`);
    const { incidents } = await analyze({ paths: [path.join(dir, 'a'), path.join(dir, 'b')], rules });
    expect(incidents.map((i) => [path.basename(i.scope ?? ''), i.count]).sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(new Set(incidents.map((i) => i.id)).size).toBe(2);
  });

  it('tells boxes apart by the hostname of JSON lines; lines without one belong to the first host', async () => {
    const line = (t: number, host: string): string =>
      JSON.stringify({ level: 50, time: Date.parse(t === 0 ? '2026-02-10T03:12:42Z' : '2026-02-10T03:12:43Z'), pid: 7, hostname: host, msg: 'Error: listen EADDRINUSE: address already in use :::3000' });
    write('fleet/api-out.log', [line(0, 'web-1'), line(1, 'web-2'), line(1, 'web-1'), ''].join('\n'));
    write('fleet/api-error.log', `${eaddr('2026-02-10T03:12:44')}\n`);
    const { incidents } = await analyze({ paths: [path.join(dir, 'fleet')], rules });
    expect(incidents.map((i) => [i.scope ?? '', i.count]).sort()).toEqual([
      ['', 3],
      ['@web-2', 1],
    ]);
  });

  it('tells boxes apart by the host of syslog lines', async () => {
    const line = (host: string, s: number): string => `Dec  3 02:11:${String(40 + s)} ${host} api[4123]: Error: listen EADDRINUSE: address already in use :::3000`;
    write('syslog/syslog', '');
    write('syslog/messages.log', [line('web1', 1), line('web2', 2), line('web1', 3), ''].join('\n'));
    const { incidents } = await analyze({ paths: [path.join(dir, 'syslog')], rules });
    const eaddr = incidents.filter((i) => i.rule === 'port-in-use');
    expect(eaddr.map((i) => [i.scope ?? '', i.count]).sort()).toEqual([
      ['', 2],
      ['@web2', 1],
    ]);
  });
});
