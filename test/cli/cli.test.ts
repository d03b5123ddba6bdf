// The CLI as users and other tools run it: a real child process on real files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-cli-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(rel: string, content: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

const CRASH = [
  '2026-02-10T03:12:44: Server starting',
  '2026-02-10T03:12:44: Error: listen EADDRINUSE: address already in use :::3000',
  '2026-02-10T03:12:44:     at Server.setupListenHandle [as _listen2] (node:net:1817:16)',
  "2026-02-10T03:12:44:   code: 'EADDRINUSE',",
  '2026-02-10T03:12:49: Error: listen EADDRINUSE: address already in use :::3000',
  '',
].join('\n');

describe('analyze --format json', () => {
  it('prints exactly one JSON document with the contract fields', () => {
    write('logs/api-error.log', CRASH);
    const r = run('analyze', 'logs', '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { incidents: Array<Record<string, unknown>>; stats: Record<string, unknown> };
    expect(Object.keys(doc.stats)).toEqual(expect.arrayContaining(['files', 'lines', 'bytes', 'events', 'matches', 'durationMs']));
    expect(doc.stats).toMatchObject({ files: 1, lines: 5, events: 3, matches: 2 });
    const inc = doc.incidents.find((i) => i.rule === 'port-in-use');
    expect(inc).toMatchObject({ severity: 'error', count: 2, services: ['api'], firstSeen: '2026-02-10T03:12:44.000Z', lastSeen: '2026-02-10T03:12:49.000Z' });
    for (const key of ['id', 'rule', 'title', 'severity', 'status', 'firstSeen', 'lastSeen', 'count', 'services', 'rootCause', 'evidence', 'remediations']) {
      expect(inc).toHaveProperty(key);
    }
    const evidence = inc?.evidence as Array<{ file: string; line: number; text: string }>;
    expect(evidence[0]).toMatchObject({ file: path.join('logs', 'api-error.log'), line: 2 });
    expect(evidence[0]?.text).toContain('EADDRINUSE');
  });

  it('warns on stderr, naming the file, and keeps going', () => {
    write('logs/api-error.log', CRASH);
    const r = run('analyze', 'logs', 'missing.log', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/missing\.log: no such file or directory/);
    expect(JSON.parse(r.stdout).incidents.length).toBeGreaterThan(0);
  });
});

describe('exit codes', () => {
  it('exits 1 with --fail-on at or below the incident severity, 0 above it', () => {
    write('api-error.log', CRASH);
    expect(run('analyze', 'api-error.log', '--fail-on', 'error', '--quiet').code).toBe(1);
    expect(run('analyze', 'api-error.log', '--fail-on', 'critical', '--quiet').code).toBe(0);
  });

  it('exits 2 with one line when no input can be read', () => {
    const r = run('analyze', 'nothing-here');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^incident-analyser: no readable log file in nothing-here$/);
  });

  it('exits 2 naming file and line for a broken rule file, without a stack trace', () => {
    write('api-error.log', CRASH);
    write('my-rules/bad.yaml', 'id: Bad Id\ntitle: x\n');
    const r = run('analyze', 'api-error.log', '--rules', 'my-rules');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/my-rules\/bad\.yaml:1: id: kebab-case/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for an unknown option or severity', () => {
    expect(run('analyze', 'x', '--fail-on', 'loud').code).toBe(2);
    expect(run('analyze', '--bogus').code).toBe(2);
  });
});

describe('--db', () => {
  it('does not double-count when the same files are analysed twice', () => {
    write('api-error.log', CRASH);
    expect(run('analyze', 'api-error.log', '--db', 'state.db', '--quiet').code).toBe(0);
    expect(run('analyze', 'api-error.log', '--db', 'state.db', '--quiet').code).toBe(0);
    const r = run('incidents', 'list', '--db', 'state.db', '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ rule: string; count: number }> };
    expect(doc.incidents.filter((i) => i.rule === 'port-in-use').map((i) => i.count)).toEqual([2]);
  });

  it('refuses a file that is not a store and leaves it as it was', () => {
    const p = write('notes.db', 'my notes, not a database\n');
    write('api-error.log', CRASH);
    const r = run('analyze', 'api-error.log', '--db', 'notes.db', '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.db/);
    expect(fs.readFileSync(p, 'utf8')).toBe('my notes, not a database\n');
  });
});

describe('--out', () => {
  it('writes summary.md and one report per incident', () => {
    write('api-error.log', CRASH);
    const r = run('analyze', 'api-error.log', '--out', 'reports', '--format', 'json');
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ id: string }> };
    expect(fs.readFileSync(path.join(dir, 'reports', 'summary.md'), 'utf8')).toContain('port-in-use');
    for (const i of doc.incidents) expect(fs.existsSync(path.join(dir, 'reports', 'incidents', `${i.id}.md`))).toBe(true);
  });
});

describe('rules', () => {
  it('lists the built-in rules with severity and source file', () => {
    const r = run('rules', 'list', '--format', 'json');
    const list = JSON.parse(r.stdout) as Array<{ id: string; file: string; builtin: boolean }>;
    expect(list.find((x) => x.id === 'port-in-use')).toMatchObject({ builtin: true });
  });

  it('rules test shows matched lines with captures, near misses and incidents', () => {
    write('api-error.log', `${CRASH}2026-02-10T03:13:00: see the docs about EADDRINUSE handling\n`);
    const r = run('rules', 'test', 'port-in-use', 'api-error.log');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Matched: 2 event\(s\)/);
    expect(r.stdout).toMatch(/port="3000"/);
    expect(r.stdout).toMatch(/Near misses[^\n]*: 1\n.*see the docs about EADDRINUSE/);
    expect(r.stdout).toMatch(/Incidents: 1/);
  });

  it('rules lint passes on the built-in rules', () => {
    const r = run('rules', 'lint');
    expect(r.stdout).toMatch(/0 problem\(s\)/);
    expect(r.code).toBe(0);
  });
});

describe('start-up', () => {
  it('uses the build-time rule cache only while it matches the rule files, with the same rules', () => {
    const cached = JSON.parse(run('rules', 'list', '--format', 'json').stdout) as Array<{ id: string }>;
    const cache = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../dist/builtin-rules.json', import.meta.url)), 'utf8')) as { files: Array<{ name: string }> };
    const yamlFiles = fs.readdirSync(fileURLToPath(new URL('../../rules/', import.meta.url))).filter((n) => n.endsWith('.yaml')).sort();
    expect(cache.files.map((f) => f.name)).toEqual(yamlFiles);
    expect(cached.map((r) => r.id).sort()).toEqual(yamlFiles.map((n) => n.replace(/\.yaml$/, '')).sort());
  });

  it('ends quietly when stdout is closed early (| head)', () => {
    const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" analyze "${fixtures}" --format json --quiet | head -c 10`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE/);
  });
});
