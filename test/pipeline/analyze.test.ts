import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadRuleFile } from '../../src/rules/load-rules.js';
import type { CompiledRule } from '../../src/rules/types.js';
import { analyze, InputError } from '../../src/pipeline/analyze.js';

let rulesDir: string;
let rules: CompiledRule[];
let dir: string;

beforeAll(() => {
  rulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-pipe-rules-'));
  const w = (name: string, text: string): CompiledRule => {
    fs.writeFileSync(path.join(rulesDir, name), text);
    return loadRuleFile(path.join(rulesDir, name));
  };
  rules = [
    w(
      'mod.yaml',
      `id: missing-chunk
title: Missing build file
severity: error
match:
  - regex: "ENOENT: no such file or directory, open '(?<path>[^']*\\\\.next/[^']*)'"
window: 10m
caused_by: [dup-watch]
diagnosis: 'missing {{path}}'
examples: { match: ["Error: ENOENT: no such file or directory, open '/a/.next/x.js'"], no_match: ["Error: ENOENT: no such file or directory, open '/a/x.js'"] }
`,
    ),
    w(
      'dup.yaml',
      `id: dup-watch
title: Duplicate watcher
severity: warning
match:
  - regex: '(?<command>tsx watch \\S+)'
    source: ps
group_by: [command]
threshold: { count: 2, distinct: pid }
diagnosis: 'x'
examples: { match: ["USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\\nroot 1 0 0 0 0 ? S 00:00 0:00 tsx watch a.ts"], no_match: ['nothing'] }
`,
    ),
  ];
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-pipe-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const enoent = (p: string): string => `Error: ENOENT: no such file or directory, open '/srv/web/.next/server/${p}'`;

function write(rel: string, content: string | Buffer, mtime?: Date): void {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  if (mtime) fs.utimesSync(p, mtime, mtime);
}

describe('analyze', () => {
  it('reads rotated parts (plain and .gz) of one log as one stream: one incident across the rotation', async () => {
    write('logs/web-error__2026-02-10_00-00-00.log.gz', zlib.gzipSync(`2026-02-09T23:58:00: ${enoent('a.js')}\n2026-02-09T23:59:00: ${enoent('b.js')}\n`));
    write('logs/web-error.log', `2026-02-10T00:01:00: ${enoent('c.js')}\n2026-02-10T00:02:00: ok\n`);
    const warnings: string[] = [];
    const result = await analyze({ paths: [dir], rules, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(result.incidents).toHaveLength(1);
    const [inc] = result.incidents;
    expect(inc?.count).toBe(3);
    expect(inc?.services).toEqual(['web']);
    expect(inc?.files).toHaveLength(2);
    expect(inc?.captureValues.path).toHaveLength(3);
    expect(result.stats).toMatchObject({ files: 2, lines: 4, events: 4, matches: 3, from: '2026-02-09T23:58:00.000Z', to: '2026-02-10T00:02:00.000Z' });
  });

  it('feeds the matches of several files in log-time order: one group across two files splits where time says', async () => {
    // api-error.log is read first; its errors are at 10:00. api-out.log has one at 08:00 (a
    // separate incident, hours before) and one at 10:00:10 (inside the 10:00 incident)
    write('logs/api-error.log', `2026-02-10T10:00:00: ${enoent('a.js')}\n2026-02-10T10:00:20: ${enoent('b.js')}\n`);
    write('logs/api-out.log', `2026-02-10T08:00:00: ${enoent('c.js')}\n2026-02-10T10:00:10: ${enoent('d.js')}\n`);
    const result = await analyze({ paths: [dir], rules });
    expect(result.incidents.map((i) => [i.firstSeen, i.count])).toEqual([
      ['2026-02-10T08:00:00.000Z', 1],
      ['2026-02-10T10:00:00.000Z', 3],
    ]);
  });

  it('places events of a file without timestamps between its pm2.log start and its mtime, and says so', async () => {
    write('pm2.log', '2026-02-10T03:00:00: PM2 log: App [web:0] starting in -fork mode-\n2026-02-10T03:00:00: PM2 log: App [web:0] online\n');
    const lines = Array.from({ length: 100 }, (_, i) => (i % 50 === 10 ? enoent(`p${i}.js`) : `GET /p${i} 200 in 3ms`));
    write('logs/web-error.log', `${lines.join('\n')}\n`, new Date('2026-02-10T04:00:00Z'));
    const warnings: string[] = [];
    const result = await analyze({ paths: [dir], rules, onWarning: (w) => warnings.push(w) });
    expect(warnings.some((w) => w.includes('web-error.log') && w.includes('estimated'))).toBe(true);
    expect(result.stats.approximateTimes).toBe(true);
    // two matches half an hour apart (by position in the file): two incidents with a 10m window
    expect(result.incidents.map((i) => i.timeApprox)).toEqual([true, true]);
    const times = result.incidents.map((i) => Date.parse(i.firstSeen));
    expect(times[0]).toBeGreaterThan(Date.parse('2026-02-10T03:00:00Z'));
    expect(times[1]).toBeLessThan(Date.parse('2026-02-10T04:00:00Z'));
    expect(times[0]).toBeLessThan(times[1] ?? 0); // file order kept
    expect(result.incidents.map((i) => i.captures.path)).toEqual(['/srv/web/.next/server/p10.js', '/srv/web/.next/server/p60.js']);
  });

  it('dates a ps snapshot without a date line at the end of the logs and links it as a cause', async () => {
    write('web-error.log', `2026-02-08T16:40:01: ${enoent('app/page.js')}\n`);
    write(
      'ps-aux.txt',
      [
        'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND',
        'root      3168  0.5  1.2   1024  2048 pts/0    Sl+  16:01   0:03 node /usr/bin/tsx watch server.ts',
        'root      3298  0.5  1.2   1024  2048 pts/0    Sl+  16:05   0:03 node /usr/bin/tsx watch server.ts',
        'root      3300  0.0  0.0   1024  2048 pts/0    S+   16:06   0:00 grep tsx',
        '',
      ].join('\n'),
    );
    const result = await analyze({ paths: [dir], rules });
    const dup = result.incidents.find((i) => i.rule === 'dup-watch');
    const mod = result.incidents.find((i) => i.rule === 'missing-chunk');
    expect(dup?.count).toBe(2);
    expect(dup?.lastSeen).toBe('2026-02-08T16:40:01.000Z');
    expect(dup?.timeApprox).toBe(true);
    expect(mod?.links.map((l) => l.rule)).toEqual(['dup-watch']);
  });

  it('filters by --since/--until on log time', async () => {
    write('web.log', `2026-02-08T10:00:00: ${enoent('a.js')}\n2026-02-08T12:00:00: ${enoent('b.js')}\n`);
    const result = await analyze({ paths: [dir], rules, since: Date.parse('2026-02-08T11:00:00Z') });
    expect(result.incidents.map((i) => i.firstSeen)).toEqual(['2026-02-08T12:00:00.000Z']);
  });

  it('warns about bad inputs by name and goes on with the rest', async () => {
    write('good.log', `2026-02-08T10:00:00: ${enoent('a.js')}\n`);
    write('binary.log', Buffer.from([0, 1, 2, 3, 10]));
    write('empty.log', '');
    const warnings: string[] = [];
    const result = await analyze({ paths: [dir, path.join(dir, 'nope.log')], rules, onWarning: (w) => warnings.push(w) });
    expect(result.incidents).toHaveLength(1);
    expect(warnings.find((w) => w.includes('nope.log'))).toMatch(/no such file or directory/);
    expect(warnings.find((w) => w.includes('binary.log'))).toMatch(/binary file/);
    // an empty file is PM2's healthy error log: counted, read, never warned about
    expect(warnings.filter((w) => w.includes('empty.log'))).toEqual([]);
    expect(result.stats.empty).toBe(1);
    expect(result.files.map((f) => path.basename(f))).toContain('empty.log');
    expect(result.stats.skipped.map((s) => path.basename(s.file)).sort()).toEqual(['binary.log', 'nope.log']);
  });

  it('warns, naming the file, about every line over 64 KiB, whether it spans reads or not', async () => {
    // 3 MiB: cut by the reader across 1 MiB reads; 100 KiB: cut by the parser inside one read
    write('spans.log', `2026-02-08T10:00:00: ${'a'.repeat(3 * 1024 * 1024)}\n2026-02-08T10:00:01: ${enoent('a.js')}\n`);
    write('inside.log', `2026-02-08T10:00:00: ${'b'.repeat(100 * 1024)}\n2026-02-08T10:00:01: ${'c'.repeat(100 * 1024)}\nshort\n`);
    const warnings: string[] = [];
    const result = await analyze({ paths: [dir], rules, onWarning: (w) => warnings.push(w) });
    expect(warnings.filter((w) => /longer than 64 KiB/.test(w)).sort()).toEqual([
      `${path.join(dir, 'inside.log')}: 2 line(s) longer than 64 KiB were cut; the rules saw their first 64 KiB`,
      `${path.join(dir, 'spans.log')}: 1 line(s) longer than 64 KiB were cut; the rules saw their first 64 KiB`,
    ]);
    expect(result.stats.truncatedLines).toBe(3);
    // the line after the cut one is still matched
    expect(result.incidents).toHaveLength(1);
  });

  it('lists a truncated .gz in stats.skipped and keeps what it held', async () => {
    const body = Array.from({ length: 40_000 }, (_, i) => `2026-02-08T10:00:00: line ${i} ${Math.sin(i)}`).join('\n');
    const gz = zlib.gzipSync(`2026-02-08T10:00:00: ${enoent('a.js')}\n${body}`);
    write('old.log.1.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const warnings: string[] = [];
    const result = await analyze({ paths: [dir], rules, onWarning: (w) => warnings.push(w) });
    expect(result.incidents).toHaveLength(1);
    expect(result.stats.skipped).toEqual([{ file: path.join(dir, 'old.log.1.gz'), reason: expect.stringMatching(/^damaged or truncated gzip \(unexpected end of file\): only the first \d+ bytes were read$/) }]);
    expect(warnings.join('\n')).toMatch(/old\.log\.1\.gz: damaged or truncated gzip/);
  });

  it('fails with an input error when nothing can be read', async () => {
    await expect(analyze({ paths: [path.join(dir, 'nope')], rules })).rejects.toBeInstanceOf(InputError);
  });
});
