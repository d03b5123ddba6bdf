// What a first run shows: quiet healthy logs, the output format asked for even with -q, a
// re-check command that can really find a user rule's incident again, and an unknown rule id
// that is a usage error instead of an empty "all clear". Real child processes on real files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-first-run-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(rel: string, content: string): void {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

const CRASH = '2026-02-10T03:12:44: Error: listen EADDRINUSE: address already in use :::3000\n';

const QUOTA_RULE = `id: quota-exceeded
title: Upstream quota exceeded
severity: error
match:
  - regex: 'QuotaExceeded: (?<api>\\w+)'
group_by: [service]
window: 5m
diagnosis: 'The {{api}} quota ran out.'
examples: { match: ['QuotaExceeded: maps'], no_match: ['quota fine'] }
`;

describe('healthy logs', () => {
  it('does not warn about an empty PM2 error log and counts it in the stats', () => {
    write('logs/api-error.log', '');
    write('logs/api-out.log', CRASH);
    const r = run('analyze', 'logs', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).stats).toMatchObject({ files: 2, empty: 1 });
  });
});

describe('--quiet', () => {
  it('prints the format asked for: text and md, not only json', { timeout: 30_000 }, () => {
    write('api-error.log', CRASH);
    write('empty.log', '');
    const text = run('analyze', 'api-error.log', 'missing.log', '-q', '--format', 'text');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/port-in-use/);
    expect(text.stderr).toBe('');
    const md = run('analyze', 'api-error.log', 'missing.log', '-q', '--format', 'md');
    expect(md.stdout).toMatch(/^# Incident report/);
    expect(md.stderr).toBe('');
    // no format asked for: quiet means quiet
    const quiet = run('analyze', 'api-error.log', '-q');
    expect(quiet.stdout).toBe('');
  });
});

describe('the re-check command of a --rules incident', () => {
  function recheckOf(page: string): string {
    const m = /Confirm it has not come back[\s\S]*?```bash\n\s*(incident-analyser [^\n]+)\n/.exec(page);
    if (!m?.[1]) throw new Error(`no re-check command in:\n${page}`);
    return m[1];
  }

  function runShell(command: string): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('sh', ['-c', command.replace(/^incident-analyser /, `"${process.execPath}" "${BIN}" `)], { cwd: dir, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('carries the run’s --rules, quoted, so it finds the incident when it comes back and nothing before', { timeout: 60_000 }, () => {
    const rulesDir = "my rules/it's";
    write(`${rulesDir}/quota.yaml`, QUOTA_RULE);
    write('app-error.log', '2026-02-10T03:12:44: QuotaExceeded: maps\n');
    const r = run('analyze', 'app-error.log', '--rules', rulesDir, '--db', 'x.db', '--out', 'out', '--format', 'json');
    expect(r.code).toBe(0);
    const id = (JSON.parse(r.stdout) as { incidents: Array<{ id: string; rule: string }> }).incidents.find((i) => i.rule === 'quota-exceeded')?.id;
    const page = fs.readFileSync(path.join(dir, 'out', 'incidents', `${id}.md`), 'utf8');
    const command = recheckOf(page);
    expect(command).toContain(`'--rules=my rules/it'\\''s'`);
    expect(command).toMatch(/ -- app-error\.log$/);

    // nothing logged after the incident: the check passes
    const asJson = command.replace(' -- ', ' --format json -- ');
    const quiet = runShell(asJson);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout).incidents).toEqual([]);
    // the problem comes back: the same command finds it (it could not without --rules)
    fs.appendFileSync(path.join(dir, 'app-error.log'), '2026-02-10T04:00:00: QuotaExceeded: maps\n');
    const again = runShell(asJson);
    expect((JSON.parse(again.stdout) as { incidents: Array<{ rule: string }> }).incidents.map((i) => i.rule)).toEqual(['quota-exceeded']);

    // reports written later from the store keep it
    expect(run('report', '--db', 'x.db', '--out', 'later').code).toBe(0);
    expect(recheckOf(fs.readFileSync(path.join(dir, 'later', 'incidents', `${id}.md`), 'utf8'))).toBe(command);
  });

  it('leaves --rules out for a built-in rule', () => {
    write('api-error.log', CRASH);
    write('my-rules/quota.yaml', QUOTA_RULE);
    expect(run('analyze', 'api-error.log', '--rules', 'my-rules', '--out', 'out', '-q').code).toBe(0);
    const [page] = fs.readdirSync(path.join(dir, 'out', 'incidents'));
    const command = recheckOf(fs.readFileSync(path.join(dir, 'out', 'incidents', page ?? ''), 'utf8'));
    expect(command).not.toContain('--rules');
  });
});

describe('report --rule', () => {
  it('makes an unknown rule id a usage error with the closest ids', { timeout: 30_000 }, () => {
    write('api-error.log', CRASH);
    expect(run('analyze', 'api-error.log', '--db', 'x.db', '-q').code).toBe(0);
    const typo = run('report', '--db', 'x.db', '--rule', 'port-in-us', '--out', 'r');
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toMatch(/^incident-analyser: no rule with id "port-in-us".*did you mean "port-in-use"\?/);
    expect(fs.existsSync(path.join(dir, 'r'))).toBe(false);
    const unknown = run('report', '--db', 'x.db', '--rule', 'no-such-rule', '--out', 'r');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run('incidents', 'list', '--db', 'x.db', '--rule', 'db-pool-timeot').stderr).toMatch(/did you mean "db-pool-timeout"/);
  });

  it('accepts a known rule with no incidents, and a user rule kept in the store', { timeout: 30_000 }, () => {
    write(`my-rules/quota.yaml`, QUOTA_RULE);
    write('app-error.log', '2026-02-10T03:12:44: QuotaExceeded: maps\n');
    expect(run('analyze', 'app-error.log', '--rules', 'my-rules', '--db', 'x.db', '-q').code).toBe(0);
    const none = run('incidents', 'list', '--db', 'x.db', '--rule', 'heap-out-of-memory', '--format', 'json');
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout).incidents).toEqual([]);
    const mine = run('incidents', 'list', '--db', 'x.db', '--rule', 'quota-exceeded', '--format', 'json');
    expect(JSON.parse(mine.stdout).incidents).toHaveLength(1);
  });
});
