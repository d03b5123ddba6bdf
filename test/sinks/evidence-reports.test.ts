// Reports say what the evidence says: each conditional sentence is decided by the logs of the
// fixture (the overlap, the port, PM2 or not, the failing pool limits, the fatal line, the storm
// rate, the snapshot's parents and start times). Real pipeline, real fixtures, rendered Markdown.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AnalysisResult, Incident } from '../../src/model.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { renderReports } from '../../src/sinks/markdown-report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = path.join(ROOT, 'fixtures');
const rules = loadRules();
const runs = new Map<string, Promise<AnalysisResult>>();

function run(fixture: string): Promise<AnalysisResult> {
  let r = runs.get(fixture);
  if (!r) runs.set(fixture, (r = analyze({ paths: [path.join(FIXTURES, fixture)], rules })));
  return r;
}

async function report(fixture: string, rule: string, service?: string): Promise<{ incident: Incident; markdown: string }> {
  const result = await run(fixture);
  const incident = result.incidents.find((i) => i.rule === rule && (service === undefined || i.services.includes(service)));
  if (!incident) throw new Error(`${fixture}: no ${rule} incident${service ? ` in ${service}` : ''}`);
  const page = renderReports(result, { generatedAt: new Date(0) }).incidents.find((p) => p.id === incident.id);
  return { incident, markdown: page?.markdown ?? '' };
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}`);
  const end = markdown.indexOf('\n## ', start + 3);
  return markdown.slice(start, end < 0 ? undefined : end);
}

describe('next-build-missing decides its hypotheses from the logs', () => {
  it('seed-000: says the duplicate-process incident overlaps, checks port 5000 from the log, suggests no PM2 for an app not under PM2', async () => {
    const { markdown } = await report('seed-000-duplicate-dev-processes', 'next-build-missing');
    const cause = section(markdown, 'Root cause');
    expect(cause).toMatch(/\*\*Seen here: duplicate dev servers or watchers\*\* \([^)]*tsx watch server\.ts[^)]*\)/);
    expect(cause).not.toMatch(/If a duplicate-process .* overlaps/);
    expect(cause).not.toContain('Not seen: duplicate dev servers');
    // the seen cause comes before the ones these logs do not show
    expect(cause.indexOf('Seen here')).toBeLessThan(cause.indexOf('Not seen'));
    expect(markdown).toContain('http://localhost:5000/api/health');
    expect(markdown).not.toContain('localhost:3000');
    expect(markdown).not.toMatch(/pm2 (?:stop|start|reload) workbot/);
    expect(markdown).toContain('these logs show no PM2 for this app');
    expect(markdown).toMatch(/tail -n 200 \S*seed-000-duplicate-dev-processes\/workbot\.log \| grep -cE/);
  });

  it('seed-001: the same without a PM2 log, and names the duplicates that overlap', async () => {
    const { markdown } = await report('seed-001-next-api-404', 'next-build-missing');
    expect(section(markdown, 'Root cause')).toContain('**Seen here: duplicate dev servers or watchers** (tsx watch server.ts)');
    expect(markdown).toContain('http://localhost:5000/');
    expect(markdown).not.toMatch(/pm2 (?:stop|start|reload) workbot/);
  });
});

describe('PM2 commands only for apps seen under PM2', () => {
  it('seed-002: an app in pm2.log gets pm2 commands and its own port', async () => {
    const { markdown } = await report('seed-002-pm2-deployment', 'db-pool-timeout', 'wordpecker-backend');
    expect(markdown).toContain('pm2 restart wordpecker-backend');
    expect(markdown).toContain('pm2 logs wordpecker-backend --nostream');
  });

  it('seed-004: an app with no PM2 trace gets no pm2 command', async () => {
    const { markdown } = await report('seed-004-db-pool-timeout', 'db-pool-timeout');
    expect(markdown).not.toMatch(/^\s*pm2 /m);
    expect(markdown).toContain('these logs show no PM2 for this app');
  });
});

describe('db-pool-timeout derives its suggestion from the limits that failed', () => {
  it('seed-004: 10 + 20 connections held by hung queries: keep the pool, add a statement timeout below the 30 s wait, never raise to 20/40', async () => {
    const { markdown } = await report('seed-004-db-pool-timeout', 'db-pool-timeout');
    const cause = section(markdown, 'Root cause');
    expect(cause).toContain('**The limits that failed: pool_size=10, max_overflow=20, pool_timeout=30.**');
    expect(cause).toContain('All 30 connections');
    expect(cause).toContain('More connections would only hang the same way');
    expect(cause).toContain('a statement timeout of 20 s, below the\npool timeout of 30 s');
    const fix = section(markdown, 'Remediation');
    expect(fix).toContain('create_engine(url, pool_size=10, max_overflow=20, pool_timeout=30, pool_pre_ping=True, connect_args={"options": "-c statement_timeout=20000"})');
    expect(markdown).not.toMatch(/pool_size=20|max_overflow=40/);
  });

  it('pool-exhausted: SQLAlchemy 5 + 10 ran dry with queries coming back: half again (23), only on genuine demand; never 5/10 again', async () => {
    const { markdown } = await report('pool-exhausted', 'db-pool-timeout', 'api');
    const cause = section(markdown, 'Root cause');
    expect(cause).toContain('**The limits that failed: pool_size=5, max_overflow=10, pool_timeout=30.**');
    expect(cause).toContain('All 15 connections stayed checked out');
    expect(cause).toMatch(/give the pool room: 23\s+connections \(half again what failed\)/);
    const fix = section(markdown, 'Remediation');
    expect(fix).toContain('create_engine(url, pool_size=13, max_overflow=10, pool_timeout=30');
    expect(fix).toContain('Derived from the limits that failed (pool_size=5, max_overflow=10, pool_timeout=30)');
    expect(fix).not.toMatch(/create_engine\(url, pool_size=5, max_overflow=10/);
  });

  it('pool-exhausted: Prisma connection limit 5, timeout 10 → connection_limit=8', async () => {
    const { markdown } = await report('pool-exhausted', 'db-pool-timeout', 'prisma');
    expect(section(markdown, 'Root cause')).toContain('**The limits that failed: connection_limit=5, pool_timeout=10.**');
    expect(section(markdown, 'Remediation')).toContain('connection_limit=8&pool_timeout=10');
  });

  it('real-pm2-crash-loop: a pg connect timeout of 500 ms is not a pool size problem', async () => {
    const { markdown } = await report('real-pm2-crash-loop', 'db-pool-timeout', 'ledger-sync');
    const cause = section(markdown, 'Root cause');
    expect(cause).toContain('connect timeout (500 ms)');
    expect(cause).toContain('a bigger pool would not help');
    expect(section(markdown, 'Remediation')).toContain('new Pool({ max: 10, connectionTimeoutMillis: 5000');
  });
});

describe('pm2-restart-loop quotes the last error before the exits first', () => {
  it('billing-worker: the STRIPE_SECRET_KEY line with file:line leads the diagnosis (untimed error log: matched by order, and says so)', async () => {
    const { markdown } = await report('real-pm2-crash-loop', 'pm2-restart-loop', 'billing-worker');
    const cause = section(markdown, 'Root cause');
    const first = cause.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))[0] ?? '';
    expect(first).toMatch(/^\*\*Why it exits:\*\* the last error billing-worker logged, at `[^`]*billing-worker-error\.log:\d+`/);
    expect(cause).toContain('```text\nError: STRIPE_SECRET_KEY is not set; refusing to start billing-worker\n```');
    expect(cause).toContain('matched to the exits by\norder rather than by time');
    expect(cause.indexOf('STRIPE_SECRET_KEY')).toBeLessThan(cause.indexOf('How to read the exit line'));
  });

  it('api: the EADDRINUSE line came last before 16 of 16 exits (timed logs, placed by time)', async () => {
    const { incident, markdown } = await report('real-pm2-crash-loop', 'pm2-restart-loop', 'api');
    expect(incident.context?.lastErrors?.[0]).toMatchObject({ text: 'Error: listen EADDRINUSE: address already in use :::5077', count: 16 });
    expect(section(markdown, 'Root cause')).toMatch(/the last error api logged before 16 of its 16 exits, at `[^`]*api-error\.log:\d+`/);
  });
});

describe('ws-send-after-close calls a burst a reconnect storm, with its rate and its client-side cause', () => {
  it('seed-003: 26 errors in 2 s from one client reconnecting without backoff', async () => {
    const { markdown } = await report('seed-003-websocket-send-after-close', 'ws-send-after-close');
    const cause = section(markdown, 'Root cause');
    expect(cause).toContain('**A reconnect storm: 26 send-after-close errors in 2s (13 per second).**');
    expect(cause).toMatch(/26 WebSocket handshakes, all from\s+127\.0\.0\.1, to `\/ws\/f7415597-5828-480b-9691-5cc0265a6eb5` in 2s \(13 per second\)/);
    expect(cause).toContain('with no backoff');
  });

  it('seed-002: 8 errors over minutes are not a storm', async () => {
    const { markdown } = await report('seed-002-pm2-deployment', 'ws-send-after-close');
    expect(markdown).not.toContain('reconnect storm:');
    expect(markdown).toContain('not a burst');
  });
});

describe('duplicate-process shows start times and parents', () => {
  it('seed-001 (ps -ef): PPIDs, parents and start times; three copies re-parented to PID 1, one from a terminal', async () => {
    const { markdown } = await report('seed-001-next-api-404', 'duplicate-process');
    const cause = section(markdown, 'Root cause');
    expect(cause).toMatch(/^173 +1 +00:14 +\? +node \/usr\/local\/bin\/tsx watch server\.ts/m);
    expect(cause).toMatch(/^2207 +2190 +00:24 +pts\/1 +node \/usr\/local\/bin\/tsx watch server\.ts +← parent: -bash$/m);
    expect(cause).toContain('they have 2 different parents (PPID column);\n3 of them were re-parented to PID 1');
    expect(cause).toMatch(/started at 4 different times, from 00:14 to\s+00:24/);
  });

  it('seed-000 (ps aux): start times, and says the snapshot has no parent column', async () => {
    const { markdown } = await report('seed-000-duplicate-dev-processes', 'duplicate-process', 'tsx watch server.ts');
    const cause = section(markdown, 'Root cause');
    expect(cause).toMatch(/^4069 +\? +16:19 +pts\/0 +node \/usr\/local\/bin\/tsx watch server\.ts$/m);
    expect(cause).toContain('`ps aux` has no parent column');
    expect(cause).toMatch(/started at 9 different times, from 15:48 to\s+16:33/);
  });
});

describe('reports speak of the user system only', () => {
  it('no rule file or report template mentions the seeds', () => {
    const files = [
      ...fs.readdirSync(path.join(ROOT, 'rules')).map((f) => path.join(ROOT, 'rules', f)),
      ...fs.readdirSync(path.join(ROOT, 'reports')).filter((f) => f.endsWith('.hbs')).map((f) => path.join(ROOT, 'reports', f)),
    ];
    for (const file of files) expect(fs.readFileSync(file, 'utf8'), file).not.toMatch(/seed/i);
  });

  it.each(['seed-000-duplicate-dev-processes', 'seed-002-pm2-deployment', 'seed-003-websocket-send-after-close', 'seed-004-db-pool-timeout', 'real-pm2-crash-loop'])(
    '%s: no report page mentions seeds or write-ups',
    async (fixture) => {
      const rendered = renderReports(await run(fixture), { generatedAt: new Date(0) });
      for (const page of [rendered.summary, ...rendered.incidents.map((p) => p.markdown)]) {
        // the fixture folders are named after the seeds; the text around them must not be
        expect(page.replace(/fixtures\/seed-[\w-]+/g, 'fixtures/x')).not.toMatch(/\bseeds?\b|write-ups?/i);
      }
    },
  );
});
