// analyze with the repeated-line fast path on and off (parse/repeat-lines.ts, the matcher's and
// the fact book's reuse): the same incidents, counts, evidence, contexts and stats, on generated
// crash loops in several files (merged by time) plus PM2's daemon log.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';
import type { AnalysisResult } from '../../src/model.js';
import { crashLoopLog } from '../support/crash-loop-log.js';

let dir: string;
const rules = loadRules();

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-repeats-'));
  fs.mkdirSync(path.join(dir, 'logs'));
  fs.writeFileSync(path.join(dir, 'logs', 'api-error.log'), crashLoopLog(11, 20_000));
  fs.writeFileSync(path.join(dir, 'logs', 'worker-error.log'), crashLoopLog(12, 8_000));
  // a rotated part, read before the live file
  fs.writeFileSync(path.join(dir, 'logs', 'api-error__2026-11-19_23-59-59.log'), crashLoopLog(13, 3_000).replaceAll('2026-11-20', '2026-11-19'));
  const pm2 = Array.from({ length: 200 }, (_, i) => {
    const t = new Date(Date.parse('2026-11-20T00:00:00Z') + i * 1500).toISOString().slice(0, 19);
    return `${t}: PM2 log: App [api:0] exited with code [1] via signal [SIGINT]\n${t}: PM2 log: App [api:0] starting in -fork mode-`;
  });
  fs.writeFileSync(path.join(dir, 'pm2.log'), `${pm2.join('\n')}\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(repeats: boolean): Promise<{ result: AnalysisResult; repeatedEvents: number }> {
  let repeatedEvents = 0;
  const result = await analyze({
    paths: [dir],
    rules,
    repeats,
    onEvaluated: (event) => {
      if (event.repeatOf !== undefined) repeatedEvents++;
    },
  });
  result.stats.durationMs = 0;
  return { result, repeatedEvents };
}

describe('analyze on a crash loop', () => {
  it('finds the same incidents with repeated lines taken the fast way as with every event built', async () => {
    const fast = await run(true);
    const slow = await run(false);
    expect(slow.repeatedEvents).toBe(0);
    expect(fast.repeatedEvents).toBeGreaterThan(fast.result.stats.events / 2);
    expect(fast.result.incidents.length).toBeGreaterThan(3);
    expect(new Set(fast.result.incidents.map((i) => i.rule))).toEqual(
      new Set(['port-in-use', 'pm2-restart-loop', 'db-pool-timeout', 'heap-out-of-memory', 'next-build-missing', 'unhandled-rejection']),
    );
    expect(fast.result.incidents.some((i) => i.context?.lastErrors !== undefined)).toBe(true);
    // the whole result, as the JSON output and reports would show it
    expect(JSON.parse(JSON.stringify(fast.result))).toStrictEqual(JSON.parse(JSON.stringify(slow.result)));
  });
});
