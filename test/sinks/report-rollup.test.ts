// The summary rolls repeated incidents of one rule and service into one row (occurrences,
// first/last, worst severity, total events, links to each); the per-incident pages stay.
// Checked on a generated log where the same failure comes back many times.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { renderReports } from '../../src/sinks/markdown-report.js';

const rules = loadRules();
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-rollup-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const RECURRENCES = 37;

/** web loses its .next build every 3 hours (3 lines each time); api hits EADDRINUSE once. */
function generateLog(): void {
  const lines: string[] = [];
  const start = Date.parse('2026-02-08T00:00:00Z');
  for (let n = 0; n < RECURRENCES; n++) {
    for (let k = 0; k < 3; k++) {
      const t = new Date(start + n * 3 * 3_600_000 + k * 1000).toISOString().slice(0, 19);
      lines.push(`${t}: GET /api/health 200 in 3ms`);
      lines.push(`${t}: ⨯ [Error: ENOENT: no such file or directory, open '/srv/web/.next/server/app/page-${n}.js'] {`);
      lines.push(`${t}:   errno: -2,`);
      lines.push(`${t}: }`);
    }
  }
  fs.writeFileSync(path.join(dir, 'web-error.log'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'api-error.log'), '2026-02-08T05:00:00: Error: listen EADDRINUSE: address already in use :::3000\n');
}

function tableRows(summary: string): string[] {
  const start = summary.indexOf('## Incidents');
  return summary
    .slice(start)
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Severity'));
}

describe('summary roll-up', () => {
  it('shows the repeats of one rule and service as one row that links each occurrence', async () => {
    generateLog();
    const result = await analyze({ paths: [dir], rules });
    const web = result.incidents.filter((i) => i.rule === 'next-build-missing');
    expect(web).toHaveLength(RECURRENCES);
    const { summary, incidents: pages } = renderReports(result);

    const rows = tableRows(summary);
    expect(rows).toHaveLength(2);
    const row = rows.find((r) => r.includes('`next-build-missing`')) ?? '';
    const cells = row.split(' | ');
    expect(row).toContain('🔴 critical');
    expect(row).toContain(`[${RECURRENCES} occurrences](#recurring-incidents)`);
    // first of the first occurrence, last of the last, and every event of all of them
    expect(cells).toContain('2026-02-08 00:00:00');
    expect(cells).toContain('2026-02-12 12:00:02');
    expect(row.trimEnd().endsWith(`| ${RECURRENCES * 3} |`)).toBe(true);
    // the title links the latest occurrence's page
    const latest = [...web].sort((a, b) => (a.firstSeen < b.firstSeen ? 1 : -1))[0];
    expect(row).toContain(`(incidents/${latest?.id}.md)`);

    const recurring = summary.slice(summary.indexOf('## Recurring incidents'));
    const line = recurring.split('\n').find((l) => l.startsWith('- 🔴')) ?? '';
    expect(line).toContain(`${RECURRENCES} occurrences`);
    const linked = [...line.matchAll(/\]\(incidents\/([^)]+)\.md\)/g)].map((m) => m[1]);
    expect(linked.sort()).toEqual(web.map((i) => i.id).sort());
    // and every incident keeps its own page
    expect(pages.map((p) => p.id).sort()).toEqual(result.incidents.map((i) => i.id).sort());
    expect(summary).toContain(`**${RECURRENCES + 1} incidents: ${RECURRENCES} critical, 1 error.**`);
  });

  it('keeps one row per incident, and no recurring section, when nothing repeats', async () => {
    fs.writeFileSync(path.join(dir, 'api-error.log'), '2026-02-08T05:00:00: Error: listen EADDRINUSE: address already in use :::3000\n');
    const { summary } = renderReports(await analyze({ paths: [dir], rules }));
    expect(tableRows(summary)).toHaveLength(1);
    expect(summary).not.toContain('occurrences');
    expect(summary).not.toContain('## Recurring incidents');
  });
});

describe('summary of several scopes (the README command: analyze fixtures)', () => {
  const FIXTURES = path.resolve(fileURLToPath(new URL('../../fixtures/', import.meta.url)));

  it('names each incident’s scope, links causes only within one, and draws one timeline per scope', async () => {
    const result = await analyze({ paths: [FIXTURES], rules });
    const { summary } = renderReports(result);
    expect(summary).toContain('| Severity | Incident | Rule | Where | Services |');
    const scenarios = fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
    // a folder with logs of its own is a scope; one without (real-excerpts-other-formats) is a collection of them
    const scopesOf = (dir: string): string[] => {
      const entries = fs.readdirSync(dir, { withFileTypes: true });
      if (entries.some((e) => e.isFile() && /\.(log|txt|jsonl|out|err|gz)$/.test(e.name))) return [path.basename(dir)];
      return entries.filter((e) => e.isDirectory()).flatMap((e) => scopesOf(path.join(dir, e.name)));
    };
    const expectedScopes = scenarios.flatMap((n) => scopesOf(path.join(FIXTURES, n)));
    expect(expectedScopes.length).toBeGreaterThan(scenarios.length);
    expect(result.stats.scopes?.map((s) => path.basename(s)).sort()).toEqual(expectedScopes.sort());
    expect(summary).toContain(`| Analysed apart | ${expectedScopes.length} scopes `);
    const scenario = (line: string): string[] => scenarios.filter((n) => line.includes(`\`${n}\``));
    const causes = summary.split('\n').filter((l) => l.includes('most likely caused'));
    const scopeOf = new Map(result.incidents.map((i) => [i.id, i.scope]));
    for (const line of causes) {
      expect(scenario(line), line).toHaveLength(1);
      const ids = [...line.matchAll(/\(incidents\/([^)]+)\.md\)/g)].map((m) => m[1] ?? '');
      expect(new Set(ids.map((id) => scopeOf.get(id))).size, line).toBe(1);
    }
    // each duplicate server of seed 000 is one line naming both things it broke
    const dupLines = causes.filter((l) => l.includes('`seed-000-duplicate-dev-processes`') && l.startsWith('- 🟠 [Duplicate'));
    expect(dupLines).toHaveLength(3);
    for (const l of dupLines) expect(l).toMatch(/caused 🔴 \[Next\.js build output missing[^\n]* and 🟠 \[Server could not bind its port/);
    expect(summary.match(/^### `[^`]+`$/gm)).toEqual(expect.arrayContaining([
      '### `real-pm2-crash-loop`',
      '### `seed-000-duplicate-dev-processes`',
      '### `seed-001-next-api-404`',
      '### `seed-002-pm2-deployment`',
      '### `seed-003-websocket-send-after-close`',
      '### `seed-004-db-pool-timeout`',
    ]));
    expect(summary).toContain('(7 empty)');
  });
});
