import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent, Match } from '../../src/model.js';
import { loadRuleFile } from '../../src/rules/load-rules.js';
import type { CompiledRule } from '../../src/rules/types.js';
import { matchRule } from '../../src/match/matcher.js';
import { Correlator } from '../../src/correlate/correlator.js';
import { linkRootCauses } from '../../src/correlate/root-cause.js';
import { renderIncidentTexts } from '../../src/sinks/incident-text.js';

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

describe('Correlator', () => {
  it('opens an incident only when the threshold is reached within the window', () => {
    const c = new Correlator([crash]);
    // two crashes: below the threshold of 3
    c.add(m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', 0)));
    c.add(m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', 30)));
    expect(c.finish(T0 + 3600_000)).toEqual([]);
  });

  it('counts every match of the cluster, exactly, and splits at gaps longer than the window', () => {
    const c = new Correlator([crash]);
    for (let i = 0; i < 5; i++) c.add(m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', i * 10)));
    // an hour later: a new burst
    for (let i = 0; i < 4; i++) c.add(m(crash, ev('App [api:0] exited with code [2] via signal [SIGINT]', 3600 + i * 10)));
    const incidents = c.finish(T0 + 3700_000);
    expect(incidents.map((i) => [i.count, i.firstSeen, i.services])).toEqual([
      [5, '2026-02-10T03:00:00.000Z', ['api']],
      [4, '2026-02-10T04:00:00.000Z', ['api']],
    ]);
    expect(incidents[0]?.status).toBe('resolved');
    expect(incidents[1]?.status).toBe('open');
    const rendered = renderIncidentTexts(incidents, [crash]);
    expect(rendered[0]?.summary).toBe('5 crashes of api');
    expect(rendered[1]?.rootCause).toBe('exit code 2');
  });

  it('keeps groups apart and lets a sufficient pattern open an incident alone', () => {
    const c = new Correlator([crash]);
    c.add(m(crash, ev('App [web:1] exited with code [1] via signal [SIGINT]', 0)));
    c.add(m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', 1)));
    c.add(m(crash, ev('Script /srv/api.js had too many unstable restarts (16). Stopped. "errored"', 2, { service: 'pm2' })));
    const incidents = c.finish(undefined);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.services).toEqual(['pm2']);
    expect(incidents[0]?.count).toBe(1);
  });

  it('is deterministic: the same matches give the same incident ids', () => {
    const run = (): string[] => {
      const c = new Correlator([crash]);
      for (let i = 0; i < 3; i++) c.add(m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', i)));
      return c.finish(undefined).map((i) => i.id);
    };
    expect(run()).toEqual(run());
    expect(run()[0]).toMatch(/^crash-[0-9a-f]{10}$/);
  });

  it('sorts out-of-order matches by log time before windowing', () => {
    const c = new Correlator([crash]);
    for (const s of [100, 0, 50]) c.add(m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', s)));
    const [inc] = c.finish(undefined);
    expect(inc?.firstSeen).toBe('2026-02-10T03:00:00.000Z');
    expect(inc?.lastSeen).toBe('2026-02-10T03:01:40.000Z');
    expect(inc?.evidence.map((e) => e.time)).toEqual(['2026-02-10T03:00:00.000Z', '2026-02-10T03:01:40.000Z']);
  });

  it('counts distinct pids for process duplicates', () => {
    const c = new Correlator([dup]);
    const ps = (pid: number): LogEvent => ev('node /usr/bin/tsx watch server.ts', 0, { kind: 'ps', pid, file: 'ps.txt' });
    c.add(m(dup, ps(10)));
    c.add(m(dup, ps(10)));
    expect(c.finish(undefined)).toEqual([]);
    const c2 = new Correlator([dup]);
    for (const pid of [10, 11, 12]) c2.add(m(dup, ps(pid)));
    const [inc] = c2.finish(undefined);
    expect(inc?.count).toBe(3);
    expect(inc?.captureValues.pid).toEqual(['10', '11', '12']);
  });

  it('keeps evidence to the first, distinct variants and the last, however many lines matched', () => {
    const c = new Correlator([port]);
    for (let i = 0; i < 10_000; i++) c.add(m(port, ev(`Error: listen EADDRINUSE: address already in use :::${3000 + (i % 2)}`, i, { service: 'api' })));
    const [inc] = c.finish(undefined);
    expect(inc?.count).toBe(10_000);
    expect(inc?.evidence.length).toBeLessThanOrEqual(5);
    expect(inc?.evidence.at(-1)?.time).toBe(new Date(T0 + 9_999_000).toISOString());
  });
});

describe('linkRootCauses', () => {
  it('links a crash loop to the port conflict of the same service and time', () => {
    const c = new Correlator([crash, port]);
    c.add(m(port, ev('Error: listen EADDRINUSE: address already in use :::3000', 0, { service: 'api', file: 'api-error.log' })));
    for (let i = 0; i < 3; i++) c.add(m(crash, ev('App [api:0] exited with code [1] via signal [SIGINT]', i + 1)));
    c.add(m(port, ev('Error: listen EADDRINUSE: address already in use :::4000', 5, { service: 'web', file: 'web-error.log' })));
    const incidents = linkRootCauses(c.finish(undefined), [crash, port], new Set());
    const loop = incidents.find((i) => i.rule === 'crash');
    expect(loop?.links.map((l) => [l.rule, l.relation])).toEqual([['port', 'caused-by']]);
    const web = incidents.find((i) => i.rule === 'port' && i.services.includes('web'));
    expect(web?.links).toEqual([]);
  });
});
