import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent, Match } from '../../src/model.js';
import { loadRuleFile } from '../../src/rules/load-rules.js';
import type { CompiledRule } from '../../src/rules/types.js';
import { matchRule } from '../../src/match/matcher.js';
import { Engine, MAX_IDLE_GROUPS } from '../../src/correlate/engine.js';
import { linkRootCauses } from '../../src/correlate/links.js';
import { correlate } from '../support/correlate.js';

let dir: string;
let crash: CompiledRule;
let dup: CompiledRule;
let port: CompiledRule;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-corr-'));
  const w = (name: string, text: string): CompiledRule => {
    fs.writeFileSync(path.join(dir, name), text);
    return loadRuleFile(path.join(dir, name));
  };
  crash = w(
    'crash.yaml',
    `id: crash
title: Crash loop
severity: critical
match:
  - regex: 'App \\[(?<service>[^\\]:]+):\\d+\\] exited with code \\[(?<code>[1-9]\\d*)\\]'
  - regex: 'had too many unstable restarts'
    sufficient: true
window: 2m
threshold: { count: 3 }
caused_by: [port]
summary: '{{count}} crashes of {{service}}'
diagnosis: 'exit code {{code}}'
examples: { match: ['App [api:0] exited with code [1] via signal [SIGINT]'], no_match: ['App [api:0] exited with code [0] via signal [SIGINT]'] }
`,
  );
  dup = w(
    'dup.yaml',
    `id: dup
title: Duplicate watcher
severity: error
match:
  - regex: '(?<command>tsx watch \\S+)'
    source: ps
group_by: [command]
threshold: { count: 2, distinct: pid }
diagnosis: 'x'
examples: { match: ["USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\\nroot 1 0 0 0 0 ? S 00:00 0:00 tsx watch a.ts"], no_match: ['tsx'] }
`,
  );
  port = w(
    'port.yaml',
    `id: port
title: Port in use
severity: error
match:
  - regex: 'EADDRINUSE: address already in use \\S*:(?<port>\\d+)'
diagnosis: 'port {{port}}'
examples: { match: ['Error: listen EADDRINUSE: address already in use :::3000'], no_match: ['EADDRINUSE'] }
`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2026-02-10T03:00:00Z');
let line = 0;
function ev(text: string, secondsFromT0: number, extra: Partial<LogEvent> = {}): LogEvent {
  line++;
  return { kind: 'log', file: 'pm2.log', line, lineCount: 1, text, raw: text, time: T0 + secondsFromT0 * 1000, timeApprox: false, service: 'pm2', ...extra };
}
function m(rule: CompiledRule, e: LogEvent): Match {
  const found = matchRule(rule, e);
  if (!found) throw new Error(`no match: ${e.text}`);
  return found;
}

const exit = (code: number, s: number): Match => m(crash, ev(`App [api:0] exited with code [${code}] via signal [SIGINT]`, s));

describe('Engine (batch use)', () => {
  it('opens an incident only when the threshold is reached within the window', () => {
    // two crashes: below the threshold of 3
    expect(correlate([crash], [exit(1, 0), exit(1, 30)], T0 + 3600_000)).toEqual([]);
  });

  it('counts every match of the cluster, exactly, and splits at gaps longer than the window', () => {
    const matches = [...Array.from({ length: 5 }, (_, i) => exit(1, i * 10)), ...Array.from({ length: 4 }, (_, i) => exit(2, 3600 + i * 10))];
    const incidents = correlate([crash], matches, T0 + 3700_000);
    expect(incidents.map((i) => [i.count, i.firstSeen, i.services])).toEqual([
      [5, '2026-02-10T03:00:00.000Z', ['api']],
      [4, '2026-02-10T04:00:00.000Z', ['api']],
    ]);
    expect(incidents[0]?.status).toBe('resolved');
    expect(incidents[1]?.status).toBe('open');
    expect(incidents[0]?.summary).toBe('5 crashes of api');
    expect(incidents[1]?.rootCause).toBe('exit code 2');
    // the same problem again: linked to the incident before it
    expect(incidents[1]?.links).toEqual([{ id: incidents[0]?.id, rule: 'crash', title: 'Crash loop', relation: 'recurrence-of' }]);
  });

  it('counts from the window that reached the threshold, not the matches before it', () => {
    // one crash, then three within two minutes ten minutes later: the first is history
    const incidents = correlate([crash], [exit(1, 0), exit(1, 100), exit(1, 700), exit(1, 720), exit(1, 740)], undefined);
    expect(incidents.map((i) => [i.count, i.firstSeen])).toEqual([[3, '2026-02-10T03:11:40.000Z']]);
  });

  it('keeps groups apart and lets a sufficient pattern open an incident alone', () => {
    const incidents = correlate(
      [crash],
      [
        m(crash, ev('App [web:1] exited with code [1] via signal [SIGINT]', 0)),
        m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', 1)),
        m(crash, ev('Script /srv/api.js had too many unstable restarts (16). Stopped. "errored"', 2, { service: 'pm2' })),
      ],
      undefined,
    );
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.services).toEqual(['pm2']);
    expect(incidents[0]?.count).toBe(1);
  });

  it('is deterministic: the same matches give the same incident ids', () => {
    const run = (): string[] => correlate([crash], [exit(1, 0), exit(1, 1), exit(1, 2)], undefined).map((i) => i.id);
    expect(run()).toEqual(run());
    expect(run()[0]).toMatch(/^crash-[0-9a-f]{10}$/);
  });

  it('takes a match that arrives a little late into the incident it belongs to', () => {
    const [inc] = correlate([crash], [exit(1, 0), exit(1, 50), exit(1, 100), exit(1, 75)], undefined);
    expect(inc?.count).toBe(4);
    expect(inc?.firstSeen).toBe('2026-02-10T03:00:00.000Z');
    expect(inc?.lastSeen).toBe('2026-02-10T03:01:40.000Z');
    expect(inc?.evidence.map((e) => e.time)).toEqual(['2026-02-10T03:00:00.000Z', '2026-02-10T03:01:40.000Z']);
  });

  it('counts distinct pids for process duplicates', () => {
    const ps = (pid: number): LogEvent => ev('node /usr/bin/tsx watch server.ts', 0, { kind: 'ps', pid, file: 'ps.txt' });
    expect(correlate([dup], [m(dup, ps(10)), m(dup, ps(10))], undefined)).toEqual([]);
    const [inc] = correlate([dup], [10, 11, 12].map((pid) => m(dup, ps(pid))), undefined);
    expect(inc?.count).toBe(3);
    expect(inc?.captureValues.pid).toEqual(['10', '11', '12']);
  });

  it('keeps evidence to the first, distinct variants and the last, however many lines matched', () => {
    const matches = Array.from({ length: 10_000 }, (_, i) => m(port, ev(`Error: listen EADDRINUSE: address already in use :::${3000 + (i % 2)}`, i, { service: 'api' })));
    const [inc] = correlate([port], matches, undefined);
    expect(inc?.count).toBe(10_000);
    expect(inc?.evidence.length).toBeLessThanOrEqual(5);
    expect(inc?.evidence.at(-1)?.time).toBe(new Date(T0 + 9_999_000).toISOString());
  });

  it('keeps state O(1) per incident: value lists stop at 20 and count what did not fit', () => {
    const engine = new Engine([port]);
    for (let i = 0; i < 5000; i++) engine.add(m(port, ev(`Error: listen EADDRINUSE: address already in use :::${i}`, i % 60, { service: 'api', file: `f${i}.log` })));
    const state = JSON.stringify(engine.snapshot());
    expect(state.length).toBeLessThan(20_000);
    const [change] = engine.takeChanges();
    expect(change?.incident.count).toBe(5000);
    expect(change?.incident.captureValues.port).toHaveLength(20);
    expect(change?.incident.captureOverflow?.port).toBe(4980);
    expect(change?.incident.files).toHaveLength(50);
  });

  // a repeated line's matches share their captures object (match/matcher.ts): the engine skips
  // looking up values it saw fit, and must still count each match of a value that did not fit
  it('counts every repeat of a value that did not fit, however its matches share their captures', () => {
    const engine = new Engine([port]);
    for (let i = 0; i < 20; i++) engine.add(m(port, ev(`Error: listen EADDRINUSE: address already in use :::${3000 + i}`, i, { service: 'api' })));
    const first = m(port, ev('Error: listen EADDRINUSE: address already in use :::9999', 20, { service: 'api' }));
    engine.add(first);
    for (let i = 0; i < 10; i++) engine.add({ ...first, event: ev(first.event.text, 21 + i, { service: 'api' }), time: T0 + (21 + i) * 1000 });
    const [change] = engine.takeChanges();
    expect(change?.incident.count).toBe(31);
    expect(change?.incident.captureValues.port).toHaveLength(20);
    expect(change?.incident.captureOverflow?.port).toBe(11);
  });

  it('gives the next incident of a group the values of a repeated line the last one had', () => {
    const engine = new Engine([port]);
    const first = m(port, ev('Error: listen EADDRINUSE: address already in use :::3000', 0, { service: 'api', file: 'a.log' }));
    const again = (s: number, file: string): Match => ({ ...first, event: ev(first.event.text, s, { service: 'api', file }), time: T0 + s * 1000 });
    engine.add(first);
    engine.add(again(1, 'a.log'));
    // a match in another file shares the captures but not the file
    engine.add(again(2, 'b.log'));
    for (let s = 3; s < 6; s++) engine.add(again(s, 'a.log'));
    // hours later: a new incident of the same group, opened by another line, then the same repeated line
    engine.add(m(port, ev('Error: listen EADDRINUSE: address already in use :::4000', 20_000, { service: 'api', file: 'a.log' })));
    for (let s = 1; s < 3; s++) engine.add(again(20_000 + s, 'a.log'));
    engine.flush(T0 + 20_003_000);
    const incidents = [...new Map(engine.takeChanges().map((c) => [c.incident.id, c.incident])).values()];
    expect(incidents.map((i) => [i.count, i.files, i.services, i.captureValues.port])).toEqual([
      [6, ['a.log', 'b.log'], ['api'], ['3000']],
      [3, ['a.log'], ['api'], ['4000', '3000']],
    ]);
  });
});

describe('Engine changes', () => {
  it('reports opened once, more matches as one updated per take, escalation at 10 and resolution', () => {
    const engine = new Engine([port]);
    const line = (s: number): Match => m(port, ev('Error: listen EADDRINUSE: address already in use :::3000', s, { service: 'api' }));
    engine.add(line(0));
    expect(engine.takeChanges().map((c) => [c.kind, c.incident.count])).toEqual([['opened', 1]]);
    for (let s = 1; s < 5; s++) engine.add(line(s));
    expect(engine.takeChanges().map((c) => [c.kind, c.incident.count])).toEqual([['updated', 5]]);
    for (let s = 5; s < 12; s++) engine.add(line(s));
    expect(engine.takeChanges().map((c) => [c.kind, c.incident.count])).toEqual([['escalated', 12]]);
    expect(engine.takeChanges()).toEqual([]);
    // watch: the clock says it has been quiet for longer than the window
    engine.tick(T0 + 12_000 + port.resolveAfterMs + 1);
    const [resolved] = engine.takeChanges();
    expect([resolved?.kind, resolved?.incident.status, resolved?.incident.summary]).toEqual(['resolved', 'resolved', '']);
  });

  it('reports a cause link once, as linked', () => {
    const engine = new Engine([crash, port]);
    engine.add(m(port, ev('Error: listen EADDRINUSE: address already in use :::3000', 0, { service: 'api', file: 'api-error.log' })));
    expect(engine.takeChanges().map((c) => c.kind)).toEqual(['opened']);
    for (let i = 0; i < 3; i++) engine.add(exit(1, i + 1));
    const changes = engine.takeChanges();
    expect(changes.map((c) => [c.kind, c.incident.rule])).toEqual([['opened', 'crash'], ['linked', 'port']]);
    expect(changes[0]?.incident.links.map((l) => l.relation)).toEqual(['caused-by']);
    engine.add(exit(1, 5));
    expect(engine.takeChanges().map((c) => c.kind)).toEqual(['updated']);
  });
});

describe('Engine memory in watch mode', () => {
  it('keeps no value set for an incident of one match, and makes one with the first value first when a second comes', () => {
    // watch holds every open incident (the soak: 3,000 port-in-use incidents of one match each,
    // whose five one-value sets were a quarter of their heap)
    const conn = loadRuleFile(
      (fs.writeFileSync(
        path.join(dir, 'conn.yaml'),
        `id: conn
title: Connection lost
severity: error
match:
  - regex: 'lost (?<peer>\\w+)(?: via (?<via>\\w+))?'
    sufficient: true
diagnosis: 'x'
examples: { match: ['lost db'], no_match: ['found db'] }
`,
      ),
      path.join(dir, 'conn.yaml')),
    );
    const engine = new Engine([conn]);
    const lost = (text: string, s: number): Match => m(conn, ev(text, s, { service: 'api' }));
    engine.add(lost('lost db', 0));
    const [opened] = engine.takeChanges();
    expect(opened?.incident.captureValues).toEqual({ peer: ['db'], service: ['api'] });
    expect(engine.snapshot()[0]?.open?.values).toEqual({});

    engine.add(lost('lost db', 1));
    expect(engine.snapshot()[0]?.open?.values).toEqual({});
    engine.add(lost('lost cache via proxy', 2));
    engine.add(lost('lost db via lb', 3));
    const [updated] = engine.takeChanges();
    expect(updated?.incident.captureValues).toEqual({ peer: ['db', 'cache'], service: ['api'], via: ['proxy', 'lb'] });
    // keys in the order they were first seen, as before: the first match's, then later ones
    expect(Object.keys(updated?.incident.captureValues ?? {})).toEqual(['peer', 'service', 'via']);

    // a saved state is taken back as it is, sets and all
    const restored = new Engine([conn], engine.snapshot());
    restored.add(lost('lost queue', 4));
    expect(restored.takeChanges()[0]?.incident.captureValues).toEqual({ peer: ['db', 'cache', 'queue'], service: ['api'], via: ['proxy', 'lb'] });
  });

  it('keeps at most MAX_IDLE_GROUPS groups of resolved incidents, the most recent, enough to link a recurrence', () => {
    // the 10-minute soak's shape: every probe a new port (a new group), each incident resolving
    const builtin = loadRuleFile(path.join('rules', 'port-in-use.yaml'));
    const engine = new Engine([builtin]);
    const n = 3 * MAX_IDLE_GROUPS;
    const probe = (port: number, s: number): Match => m(builtin, ev(`Error: listen EADDRINUSE: address already in use :::${port}`, s, { service: 'api' }));
    const clock = (s: number): number => T0 + s * 1000;
    for (let i = 0; i < n; i++) engine.add(probe(10_000 + i, i), clock(i));
    const opened = engine.takeChanges();
    expect(opened.filter((c) => c.kind === 'opened')).toHaveLength(n);
    engine.takeStateDelta();

    // quiet long enough that every incident resolves and every group is idle
    engine.tick(clock(n) + builtin.resolveAfterMs + builtin.windowMs);
    expect(engine.takeChanges().filter((c) => c.kind === 'resolved')).toHaveLength(n);
    const kept = engine.snapshot();
    expect(kept).toHaveLength(MAX_IDLE_GROUPS);
    // what an idle group keeps is its key and last incident's id, not the incident
    expect(kept.every((g) => g.open === undefined && g.draft === undefined && g.lastId !== undefined)).toBe(true);
    // the most recently active are kept; the forgotten ones are deleted from the saved state too
    expect(kept.map((g) => Number(/\d+$/.exec(g.key)?.[0])).sort((a, b) => a - b)).toEqual(Array.from({ length: MAX_IDLE_GROUPS }, (_, i) => 10_000 + n - MAX_IDLE_GROUPS + i));
    expect(engine.takeStateDelta().remove).toHaveLength(n - MAX_IDLE_GROUPS);

    // a kept group's next incident is linked to its last one; a forgotten group's starts afresh
    const later = n + builtin.resolveAfterMs / 1000 + builtin.windowMs / 1000 + 1;
    engine.add(probe(10_000 + n - 1, later), clock(later));
    engine.add(probe(10_000, later), clock(later));
    const again = engine.takeChanges();
    expect(again.map((c) => [c.kind, c.incident.links.filter((l) => l.relation === 'recurrence-of').length])).toEqual([
      ['opened', 1],
      ['opened', 0],
    ]);
    expect(again[0]?.incident.links[0]?.id).toBe(opened.at(-1)?.incident.id);
  });
});

describe('linkRootCauses', () => {
  it('links a crash loop to the port conflict of the same service and time', () => {
    const matches = [
      m(port, ev('Error: listen EADDRINUSE: address already in use :::3000', 0, { service: 'api', file: 'api-error.log' })),
      ...[1, 2, 3].map((s) => exit(1, s)),
      m(port, ev('Error: listen EADDRINUSE: address already in use :::4000', 5, { service: 'web', file: 'web-error.log' })),
    ];
    const incidents = linkRootCauses(correlate([crash, port], matches, undefined), [crash, port], new Set());
    const loop = incidents.find((i) => i.rule === 'crash');
    expect(loop?.links.map((l) => [l.rule, l.relation])).toEqual([['port', 'caused-by']]);
    const web = incidents.find((i) => i.rule === 'port' && i.services.includes('web'));
    expect(web?.links).toEqual([]);
  });
});
