// analyze with the FactLine path (parse/stream-parser.ts) on and off: the same result, as the JSON
// output and the reports show it, on every fixture folder and on a generated mixed log (the bench
// generator's: uvicorn WebSocket handshakes around a ws-send-after-close incident) with hostile
// lines added.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const rules = loadRules();
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-fact-lines-'));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench/gen-mixed-log.js'), path.join(dir, 'mixed.log'), '3', '7'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  // handshakes the fact path leaves to buildEvent, between ones it takes
  const hostile = [
    '3|ws       | 2026-02-10 00:30:00 +00:00: INFO:     10.9.9.9:1 - "WebSocket /ws/ü" [accepted]',
    '3|ws       | 2026-02-10 00:30:00 +00:00: \x1b[32mINFO:     10.9.9.9:2 - "WebSocket /ws/colour" 403\x1b[0m',
    '3|ws       | 2026-02-10 00:30:01 +00:00: INFO:     10.9.9.9:3 - "WebSocket /ws/plain" [accepted]',
    `3|ws       | 2026-02-10 00:30:01 +00:00: INFO:     10.9.9.9:4 - "WebSocket /${'x'.repeat(3000)}" [accepted]`,
  ];
  fs.appendFileSync(path.join(dir, 'mixed.log'), `${hostile.join('\n')}\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function both(paths: string[]): Promise<[unknown, unknown]> {
  const results = [];
  for (const factLines of [true, false]) {
    const result = await analyze({ paths, rules, factLines });
    result.stats.durationMs = 0;
    results.push(JSON.parse(JSON.stringify(result)));
  }
  return [results[0], results[1]];
}

describe('analyze with fact lines read without building them', () => {
  it('gives the same result on a generated mixed log, handshakes and all', async () => {
    const [fast, slow] = await both([dir]);
    expect(fast).toStrictEqual(slow);
    const result = await analyze({ paths: [dir], rules });
    const sockets = result.incidents.flatMap((i) => (i.context?.sockets ? [i.context.sockets] : []));
    expect(sockets.length).toBeGreaterThan(0);
  });

  it('gives the same result on every fixture folder', async () => {
    const folders = fs.readdirSync(path.join(ROOT, 'fixtures'), { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
    expect(folders.length).toBeGreaterThan(5);
    for (const d of folders) {
      const [fast, slow] = await both([path.join(ROOT, 'fixtures', d.name)]);
      expect(fast, d.name).toStrictEqual(slow);
    }
  });
});
