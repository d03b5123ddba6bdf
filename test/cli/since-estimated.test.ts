// `--since 2h --fail-on error` in a cron job must not fire on every run for logs without
// timestamps: their times are estimated from the file's modification time, which is always recent
// for a live log. An estimated time does not satisfy --since unless --since-estimated says so.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
// Next dev + Node crash output with no timestamps at all (see the fixture's README)
const UNTIMED = fileURLToPath(new URL('../../fixtures/seed-001-next-api-404/workbot.log', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-since-'));
  // a live log: just written, so its mtime (and every estimated time) is within the last 2 hours
  fs.copyFileSync(UNTIMED, path.join(dir, 'workbot.log'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--since with estimated times', () => {
  it('leaves estimated times out of --since by default, says so, and does not fail the run', () => {
    const r = run('analyze', 'workbot.log', '--since', '2h', '--fail-on', 'error', '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).incidents).toEqual([]);
    expect(r.stderr).toMatch(/workbot\.log: \d+ matched event\(s\) have only estimated times .* --since-estimated/);
  });

  it('counts them by their estimated times with --since-estimated', () => {
    const r = run('analyze', 'workbot.log', '--since', '2h', '--since-estimated', '--fail-on', 'error', '--format', 'json');
    expect(r.code).toBe(1);
    const rules = (JSON.parse(r.stdout).incidents as Array<{ rule: string; timeApprox: boolean }>).map((i) => [i.rule, i.timeApprox]);
    expect(rules).toContainEqual(['next-build-missing', true]);
  });

  it('without --since the same log gives its incidents (estimated) as before', () => {
    const r = run('analyze', 'workbot.log', '--fail-on', 'error', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('--since-estimated');
  });
});
