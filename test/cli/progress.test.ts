// The analyze progress bar under a real pseudo-terminal (util-linux `script`), and its absence
// without one and with --quiet. stdout (the JSON document) never carries any of it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
const SCRIPT = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).stdout.trim();
if (!SCRIPT) console.warn('progress bar tests under a pseudo-terminal skipped: no `script` (util-linux); install it with `apt-get install -y bsdutils`');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-progress-'));
  // two files, 20 MiB: above the size where the bar appears
  const block = `${'2026-02-08T16:00:00Z GET /api/items?page=2 200 12ms\n'.repeat(20_000)}`;
  for (const name of ['api-out.log', 'web-out.log']) {
    const fd = fs.openSync(path.join(dir, name), 'w');
    for (let i = 0; i < 10; i++) fs.writeSync(fd, block);
    fs.writeSync(fd, '2026-02-08T16:00:01Z Error: listen EADDRINUSE: address already in use :::3000\n');
    fs.closeSync(fd);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run under a pseudo-terminal: stderr is the terminal, stdout goes to a file. */
function underPty(args: string): { terminal: string; stdout: string; code: number | null } {
  const out = path.join(dir, 'stdout.json');
  const r = spawnSync(SCRIPT, ['-qefc', `${process.execPath} ${BIN} ${args} > ${out}`, '/dev/null'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm-256color', COLUMNS: '120' },
    timeout: 120_000,
  });
  return { terminal: r.stdout, stdout: fs.readFileSync(out, 'utf8'), code: r.status };
}

describe('analyze progress', () => {
  it.skipIf(!SCRIPT)('draws bytes and files done, MB/s and ETA on a terminal, apart from the JSON on stdout', () => {
    const r = underPty('analyze api-out.log web-out.log --format json');
    expect(r.code, r.terminal).toBe(0);
    expect(r.terminal).toMatch(/\d+% \| [\d.]+\/[\d.]+ MB \| [0-2]\/2 files \| [\d.]+ MB\/s \| ETA /);
    expect(r.terminal).toContain('\u001b[?25l'); // cursor hidden while drawing…
    expect(r.terminal).toContain('\u001b[?25h'); // …and shown again
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ rule: string }>; stats: { files: number } };
    expect(doc.stats.files).toBe(2);
    expect(doc.incidents.map((i) => i.rule)).toEqual(['port-in-use', 'port-in-use']);
  }, 120_000);

  it.skipIf(!SCRIPT)('--quiet draws nothing, even on a terminal', () => {
    const r = underPty('analyze api-out.log web-out.log --format json --quiet');
    expect(r.code).toBe(0);
    expect(r.terminal).not.toMatch(/MB\/s|ETA/);
    expect(JSON.parse(r.stdout)).toHaveProperty('incidents');
  }, 120_000);

  it('draws nothing when stderr is not a terminal', () => {
    const r = spawnSync(process.execPath, [BIN, 'analyze', 'api-out.log', 'web-out.log', '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/MB\/s|ETA|\u001b/);
    expect(JSON.parse(r.stdout)).toHaveProperty('incidents');
  }, 120_000);
});
