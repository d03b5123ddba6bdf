// The shipped JSON Schema (schema/change-record.schema.json) is what the code generates, and
// real output validates against it: change records of every fixture scenario and the lines of a
// real `watch --format json` run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { recordsForIncidents } from '../../src/sinks/change-record.js';
import { changeRecordJsonSchema } from '../../src/sinks/change-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'incident-analyser.js');
const shipped: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'change-record.schema.json'), 'utf8'));

// the schema carries a pattern for every date-time, so format checking adds nothing
const validate = new Ajv2020({ strict: true, allErrors: true, validateFormats: false }).compile(changeRecordJsonSchema());

function errorsOf(record: unknown): string {
  return validate(record) ? '' : JSON.stringify(validate.errors);
}

describe('change record schema', () => {
  it('the shipped file is the generated one (npm run build writes it)', () => {
    expect(shipped).toEqual(JSON.parse(JSON.stringify(changeRecordJsonSchema())));
  });

  it('validates the change records of every fixture scenario', async () => {
    const rules = loadRules();
    const dirs = fs.readdirSync(path.join(ROOT, 'fixtures'), { withFileTypes: true }).filter((d) => d.isDirectory() && fs.existsSync(path.join(ROOT, 'fixtures', d.name, 'expected.json')));
    let n = 0;
    for (const d of dirs) {
      const result = await analyze({ paths: [path.join(ROOT, 'fixtures', d.name)], rules });
      for (const r of recordsForIncidents(result.incidents, { host: 'web-1', reportDir: 'out' })) {
        expect(errorsOf(r), `${d.name}: ${r.incident.id}`).toBe('');
        n++;
      }
    }
    expect(n).toBeGreaterThan(5);
  }, 60_000);

  it('rejects a record whose shape drifted (renamed key, wrong enum)', () => {
    const now = new Date().toISOString();
    const good = {
      version: 1, event: 'opened', at: now, host: 'h',
      incident: {
        id: 'boom-1', rule: 'boom', title: 'Boom', severity: 'error', status: 'open', firstSeen: now, lastSeen: now, count: 1,
        services: ['api'], rootCause: 'x', evidence: [{ file: 'a.log', line: 1, text: 'BOOM' }], remediations: [], summary: 's',
        files: ['a.log'], groupKey: 'api', captures: {}, captureValues: {}, verify: [], prevent: [], links: [], timeApprox: false,
      },
    };
    expect(errorsOf(good)).toBe('');
    expect(errorsOf({ ...good, event: 'reopened' })).toMatch(/must be equal to one of the allowed values/);
    const { host, ...rest } = good;
    expect(errorsOf({ ...rest, hostname: host })).toMatch(/must have required property 'host'/);
    expect(errorsOf({ ...good, at: 'yesterday' })).toMatch(/must match pattern/);
  });

  it('validates the lines of a real watch --format json run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-schema-'));
    try {
      fs.cpSync(path.join(ROOT, 'fixtures', 'seed-003-websocket-send-after-close'), path.join(dir, 'logs'), { recursive: true });
      const child = spawn(process.execPath, [BIN, 'watch', 'logs', '--from-start', '--db', 'state.db', '--format', 'json', '--out', 'reports'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      for (let i = 0; i < 200 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(errorsOf(l)).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
