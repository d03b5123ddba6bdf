// Rule files a user writes, through the CLI as a child process: hostile patterns cannot hang
// analyze, `rules test` or watch; lint flags them; broken rule files are one line and exit 2.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));

let dir: string;
let children: ChildProcess[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-rulescli-'));
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(rel: string, content: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

/** One line on stderr, naming the file, no stack trace. */
function expectOneLineError(r: { code: number | null; stderr: string }, file: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(file);
  expect(r.stderr).not.toMatch(/this is a bug|\n\s+at /);
}

// The issue's three patterns (lines 6-8), plus one that proves the rule still matches.
const HOSTILE_RULE = `id: hostile
title: Hostile patterns
severity: warning
match:
  - regex: 'QUOTA_EXCEEDED user=(?<user>\\w+)'
  - regex: '(a+)+$'
  - regex: 'Timeout acquiring (\\w+\\s?)+$'
  - regex: '(\\S+\\s*)+failed'
group_by: [service]
diagnosis: 'Over quota'
examples:
  match: ['QUOTA_EXCEEDED user=bob']
  no_match: ['quota fine']
`;

const HOSTILE_LINES = [
  `2026-02-10T03:12:44: ${'a'.repeat(60)}!`,
  `2026-02-10T03:12:45: Timeout acquiring ${'a connection '.repeat(4)}!`,
  `2026-02-10T03:12:46: ${'x'.repeat(60)}`,
  `2026-02-10T03:12:47: ${'x'.repeat(65_000)}`,
];

describe('hostile user patterns', () => {
  it('analyze finishes and still finds the real match', () => {
    write('rules/hostile.yaml', HOSTILE_RULE);
    write('logs/api-out.log', [...HOSTILE_LINES, '2026-02-10T03:12:48: QUOTA_EXCEEDED user=bob', ''].join('\n'));
    const r = run('analyze', 'logs', '--rules', 'rules', '--format', 'json', '--quiet');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ rule: string; count: number }> };
    expect(doc.incidents.find((i) => i.rule === 'hostile')?.count).toBe(1);
  }, 120_000);

  it('rules test finishes and shows the one matching line', () => {
    write('rules/hostile.yaml', HOSTILE_RULE);
    write('logs/api-out.log', [...HOSTILE_LINES, '2026-02-10T03:12:48: QUOTA_EXCEEDED user=bob', ''].join('\n'));
    const r = run('rules', 'test', 'rules/hostile.yaml', 'logs');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Matched: 1 event/);
    expect(r.stdout).toMatch(/user="bob"/);
  }, 120_000);

  it('rules lint flags each of them with file, line and why', () => {
    write('rules/hostile.yaml', HOSTILE_RULE);
    const r = run('rules', 'lint', 'rules');
    expect(r.code).toBe(1);
    for (const [line, i] of [[6, 1], [7, 2], [8, 3]]) {
      expect(r.stdout).toMatch(new RegExp(`rules/hostile\\.yaml:${line}: hostile: match\\.${i}\\.regex: exponential backtracking .*e\\.g\\. on '`));
    }
    expect(r.stdout).not.toMatch(/match\.0\.regex: .*backtracking/);
  }, 120_000);

  it('watch keeps reading past them, and exits 0 on SIGTERM with the incident stored', async () => {
    write('rules/hostile.yaml', HOSTILE_RULE);
    fs.mkdirSync(path.join(dir, 'logs'));
    const log = path.join(dir, 'logs', 'api-out.log');
    const db = path.join(dir, 'state.db');
    const child = spawn(process.execPath, [BIN, 'watch', 'logs', '--rules', 'rules', '--db', db, '--format', 'json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const until = async (check: () => boolean, ms: number): Promise<boolean> => {
      for (const end = Date.now() + ms; Date.now() < end; ) {
        if (check()) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return check();
    };
    expect(await until(() => err.includes('watching'), 15_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    // a file that appears in a watched folder is read from its start
    const now = (): string => new Date().toISOString().slice(0, 19);
    fs.writeFileSync(log, HOSTILE_LINES.map((l) => `${now()}: ${l.slice(21)}`).join('\n') + '\n');
    fs.appendFileSync(log, `${now()}: QUOTA_EXCEEDED user=bob\n`);
    expect(await until(() => out.includes('"rule":"hostile"'), 30_000)).toBe(true);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const stored = run('incidents', 'list', '--db', db, '--format', 'json');
    expect((JSON.parse(stored.stdout) as { incidents: Array<{ rule: string }> }).incidents.map((i) => i.rule)).toContain('hostile');
  }, 90_000);

  it('refuses a lookaround in a user rule: one line with file, line and why', () => {
    write('rules/look.yaml', HOSTILE_RULE.replace("'(a+)+$'", "'tsx watch(?=\\s|$)'"));
    const r = run('rules', 'lint', 'rules');
    expectOneLineError(r, /rules\/look\.yaml:6: match\.1\.regex: cannot run in linear time: it uses a lookaround/);
  });
});

describe('broken rule files are one line, exit 2', () => {
  it('--rules /dev/null', () => {
    expectOneLineError(run('analyze', '.', '--rules', '/dev/null'), /\/dev\/null: not a rule file or folder \(a character device\)/);
  });

  it('--rules naming a folder with no rule files', () => {
    fs.mkdirSync(path.join(dir, 'empty'));
    write('empty/notes.txt', 'no rules here');
    expectOneLineError(run('analyze', '.', '--rules', 'empty'), /empty: no rule files \(\*\.yaml, \*\.yml\) in this folder/);
  });

  it('a YAML alias bomb (billion laughs)', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h'], ['h', 'i']]) {
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    write('rules/bomb.yaml', `id: bomb\ntitle: Bomb\n${levels.join('\n')}\n`);
    expectOneLineError(run('rules', 'lint', 'rules'), /rules\/bomb\.yaml:4: invalid YAML: too many alias expansions/);
  }, 60_000);

  it('a misspelt key on line 10 is reported at line 10, with the key it resembles', () => {
    const text = HOSTILE_RULE.replace('group_by: [service]\n', 'group_by: [service]\nwindw: 5m\n');
    expect(text.split('\n')[9]).toBe('windw: 5m');
    expectOneLineError(run('rules', 'lint', write('rules/bad.yaml', text)), /rules\/bad\.yaml:10: windw: unknown key; did you mean "window"\?/);
  });

  it('a Handlebars error shows the whole message, the offending text and its line in the file', () => {
    const text = HOSTILE_RULE.replace("diagnosis: 'Over quota'\n", 'diagnosis: |\n  The user is over quota.\n  User {{#if user}} over\n');
    const r = run('rules', 'lint', write('rules/tmpl.yaml', text));
    expectOneLineError(r, /rules\/tmpl\.yaml:12: diagnosis: bad template: Expecting .*'OPEN_ENDBLOCK', got 'EOF' \(template line 2, column 23\): "User \{\{#if user\}\} over⟪here⟫"/);
  });
});
