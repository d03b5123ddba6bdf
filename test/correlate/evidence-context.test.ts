// What a restart-loop report quotes on a long log: the last error before each PM2 exit, however
// many error lines the app logged elsewhere in the log. Real files in a temp folder laid out as
// PM2 writes them (pm2.log beside logs/<app>-error.log; line formats copied from
// fixtures/real-pm2-crash-loop, which was produced by a real PM2), the real pipeline, the rendered
// Markdown.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { renderReports } from '../../src/sinks/markdown-report.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-facts-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const START = Date.parse('2026-11-22T10:00:00Z');
/** PM2's `--time` prefix: `2026-11-22T10:00:00: `. */
const stamp = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}: `;
const exit = (ms: number): string => `${stamp(ms)}PM2 log: App [api:0] exited with code [1] via signal [SIGINT]\n`;

/**
 * Two crash loops of api, three exits each, six hours apart; before each exit the error that
 * killed it (a different one in each loop); between the loops 12,000 unrelated error lines (a
 * TypeError every second), far more than a per-service ring of error records would keep.
 */
function writeLongLog(): void {
  fs.mkdirSync(path.join(dir, 'logs'));
  const pm2: string[] = [];
  const errors: string[] = [];
  const early = [0, 2_000, 4_000].map((t) => START + t);
  const late = [0, 2_000, 4_000].map((t) => START + 6 * 3_600_000 + t);
  for (const t of early) {
    errors.push(`${stamp(t - 500)}Error: STRIPE_SECRET_KEY is not set; refusing to start api\n`);
    pm2.push(exit(t));
  }
  for (let i = 0; i < 12_000; i++) errors.push(`${stamp(START + 60_000 + i * 1000)}TypeError: Cannot read properties of undefined (reading 'id')\n`);
  for (const t of late) {
    errors.push(`${stamp(t)}Error: connect ECONNREFUSED 127.0.0.1:6379\n`);
    pm2.push(exit(t));
  }
  fs.writeFileSync(path.join(dir, 'pm2.log'), pm2.join(''));
  fs.writeFileSync(path.join(dir, 'logs', 'api-error.log'), errors.join(''));
}

describe('the last error before each exit, on a long log', () => {
  it('quotes the error before the early loop and the late loop, each with its own exits', async () => {
    writeLongLog();
    const result = await analyze({ paths: [dir], rules: loadRules() });
    const loops = result.incidents.filter((i) => i.rule === 'pm2-restart-loop').sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : 1));
    expect(loops).toHaveLength(2);
    const [first, second] = loops;
    expect(first?.context?.exits).toBe(3);
    expect(first?.context?.lastErrors).toEqual([
      expect.objectContaining({ text: 'Error: STRIPE_SECRET_KEY is not set; refusing to start api', count: 3, line: 3 }),
    ]);
    expect(second?.context?.exits).toBe(3);
    expect(second?.context?.lastErrors).toEqual([expect.objectContaining({ text: 'Error: connect ECONNREFUSED 127.0.0.1:6379', count: 3 })]);

    const pages = renderReports(result, { generatedAt: new Date(0) }).incidents;
    const early = pages.find((p) => p.id === first?.id)?.markdown ?? '';
    expect(early).toContain('```text\nError: STRIPE_SECRET_KEY is not set; refusing to start api\n```');
    expect(early).not.toContain('logged no error line in the minute before');
    expect(early).not.toContain('ECONNREFUSED');
  });
});
