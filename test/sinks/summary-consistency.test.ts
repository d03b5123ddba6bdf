// The summary never contradicts itself: its time range covers every incident it lists, a short
// incident is not drawn as days, "What to do first" starts from an open incident, and a report
// from the store does not claim to have read logs.
import { describe, expect, it } from 'vitest';
import type { AnalysisResult, Incident, RunStats } from '../../src/model.js';
import { renderReports } from '../../src/sinks/markdown-report.js';
import { resultFromIncidents } from '../../src/pipeline/stored-result.js';
import { renderText } from '../../src/sinks/console-text.js';

function incident(overrides: Partial<Incident>): Incident {
  return {
    id: 'x',
    rule: 'pm2-restart-loop',
    title: 'PM2 restart loop',
    severity: 'critical',
    status: 'open',
    firstSeen: '2026-12-03T10:00:00.000Z',
    lastSeen: '2026-12-03T10:00:05.000Z',
    count: 5,
    services: ['api'],
    files: ['pm2.log'],
    groupKey: 'api',
    captures: {},
    captureValues: {},
    evidence: [],
    summary: 's',
    rootCause: 'r',
    remediations: [{ title: 'Fix it', kind: 'command', commands: ['true'] }],
    verify: [],
    prevent: [],
    links: [],
    timeApprox: false,
    ...overrides,
  };
}

function stats(overrides: Partial<RunStats> = {}): RunStats {
  return { files: 3, lines: 100, bytes: 1000, events: 10, matches: 5, durationMs: 5, skipped: [], empty: 0, truncatedLines: 0, approximateTimes: false, ...overrides };
}

function summary(r: AnalysisResult): string {
  return renderReports(r, { generatedAt: new Date('2026-12-04T00:00:00Z') }).summary;
}

describe('summary consistency', () => {
  it('"Logs cover" reaches the latest incident, even when estimated times fall after the last timestamp read', () => {
    const late = incident({ id: 'late', firstSeen: '2026-12-03T10:00:00.000Z', lastSeen: '2026-12-03T10:00:05.000Z', timeApprox: true });
    const md = summary({ incidents: [late], stats: stats({ from: '2026-11-22T14:58:34.000Z', to: '2026-11-22T14:59:21.000Z', approximateTimes: true }), files: [] });
    const row = md.split('\n').find((l) => l.startsWith('| Logs cover')) ?? '';
    expect(row).toContain('2026-11-22 14:58:34 UTC → 2026-12-03 10:00:05 UTC');
  });

  it('draws a 5-second incident on a 10-month chart as a milestone at its time, not a multi-day bar', () => {
    const old = incident({ id: 'old', severity: 'error', firstSeen: '2026-02-01T00:00:00.000Z', lastSeen: '2026-03-03T00:00:00.000Z', status: 'resolved' });
    const short = incident({ id: 'short' });
    const md = summary({ incidents: [old, short], stats: stats(), files: [] });
    const line = md.split('\n').find((l) => l.includes(':crit, milestone, ')) ?? '';
    const [, start, end] = /, (\S+), (\S+)$/.exec(line) ?? [];
    expect(start).toBe('2026-12-03T10:00:03');
    expect(Date.parse(`${end ?? ''}Z`) - Date.parse(`${start ?? ''}Z`)).toBe(1000);
    // the month-long incident is still a bar from its first to its last time
    expect(md).toContain(':active, i1, 2026-02-01T00:00:00, 2026-03-03T00:00:00');
  });

  it('"What to do first" starts from an open critical incident, not one resolved months ago', () => {
    const resolved = incident({ id: 'old-crit', title: 'Old loop', status: 'resolved', firstSeen: '2026-02-01T00:00:00.000Z', lastSeen: '2026-02-01T00:01:00.000Z', remediations: [{ title: 'Old fix', kind: 'command', commands: ['true'] }] });
    const open = incident({ id: 'new-crit', title: 'Current loop', remediations: [{ title: 'Current fix', kind: 'command', commands: ['true'] }] });
    const md = summary({ incidents: [resolved, open], stats: stats(), files: [] });
    const first = md.slice(md.indexOf('## What to do first'));
    expect(first).toMatch(/^Start with 🔴 \[Current loop\]/m);
    expect(first).toContain('**Current fix**');
    expect(first).not.toContain('Old fix');
  });

  it('reports from the store say where the incidents come from, not "Read 0 lines in 0 ms"', () => {
    const r = resultFromIncidents([incident({ id: 'a' })], 'incidents.db');
    const md = summary(r);
    expect(md).toContain('| Source | incidents kept in `incidents.db`; no logs were read for this report |');
    expect(md).not.toMatch(/\| Read \||Analysis took|0 lines/);
    const text = renderText(r, { color: false });
    expect(text).toMatch(/^Incidents kept in incidents\.db \(no logs were read now\)/);
    expect(text).not.toContain('0 lines');
  });

  it('the headline names the most severe open incident, not a more severe one resolved long ago', () => {
    const old = incident({ id: 'old-disk', rule: 'disk-full', title: 'Disk full', severity: 'critical', status: 'resolved', firstSeen: '2014-05-03T11:45:59.000Z', lastSeen: '2014-05-03T11:45:59.000Z' });
    const now = incident({ id: 'port-now', rule: 'port-in-use', title: 'Port in use', severity: 'error' });
    const md = summary({ incidents: [old, now], stats: stats(), files: [] });
    const head = md.split('\n').find((l) => l.startsWith('**')) ?? '';
    expect(head).toContain('The most severe still open is');
    expect(head).toContain('Port in use');
    expect(head).not.toContain('Disk full');
    // with nothing open, the most severe is named as before
    const closed = summary({ incidents: [old, { ...now, status: 'resolved' }], stats: stats(), files: [] });
    expect(closed.split('\n').find((l) => l.startsWith('**'))).toContain('The most severe is');
  });
});
