// Every scenario folder in fixtures/ states what a correct analysis finds (expected.json, written
// from the scenario's own lines); this runs the real pipeline with the built-in rules on each.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

interface Expected {
  incidents: Array<{ rule: string; service: string; minCount: number; maxCount: number; evidenceContains?: string }>;
  absentRules?: string[];
}

const scenarios = fs
  .readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(FIXTURES, d.name, 'expected.json')))
  .map((d) => d.name);

const rules = loadRules();

describe('fixtures', () => {
  it('has scenarios to check', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  describe.each(scenarios)('%s', (name) => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
    const run = analyze({ paths: [path.join(FIXTURES, name)], rules });

    it.each(expected.incidents.map((e) => [`${e.rule} in ${e.service}`, e] as const))('finds %s', async (_label, e) => {
      const { incidents } = await run;
      const found = incidents.filter((i) => i.rule === e.rule && i.services.includes(e.service));
      expect(found, `incidents: ${incidents.map((i) => `${i.rule}/${i.services.join(',')}×${i.count}`).join(' ')}`).toHaveLength(1);
      const inc = found[0];
      expect(inc?.count).toBeGreaterThanOrEqual(e.minCount);
      expect(inc?.count).toBeLessThanOrEqual(e.maxCount);
      expect(inc?.evidence.length).toBeGreaterThan(0);
      if (e.evidenceContains) expect(inc?.evidence.some((ev) => ev.text.includes(e.evidenceContains ?? ''))).toBe(true);
      for (const ev of inc?.evidence ?? []) {
        // evidence points at the real line that holds its first line of text
        const bytes = fs.readFileSync(ev.file);
        const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
        const line = text.split('\n')[ev.line - 1]?.replace(/\r$/, '');
        expect(line).toBe(ev.text.split('\n')[0]);
      }
    });

    if (expected.absentRules?.length) {
      it(`finds none of ${expected.absentRules.join(', ')}`, async () => {
        const { incidents } = await run;
        const wrong = incidents.filter((i) => expected.absentRules?.includes(i.rule));
        expect(wrong.map((i) => `${i.rule}/${i.services.join(',')}: ${i.evidence[0]?.text ?? ''}`)).toEqual([]);
      });
    }
  });
});
