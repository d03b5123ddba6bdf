// The property the one engine exists for: the same matches fed as a batch (analyze: everything,
// then flush at the end of the logs) or live (watch: as they arrive, with clock ticks, saving
// the changed groups at checkpoints and restarting from the saved state after a kill -9, which
// re-feeds the matches since the last checkpoint) give identical incidents with identical ids.
// Random runs from fixed seeds: a failure names its seed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, LogEvent, Match } from '../../src/model.js';
import { loadRuleFile } from '../../src/rules/load-rules.js';
import type { CompiledRule } from '../../src/rules/types.js';
import { matchRule } from '../../src/match/matcher.js';
import { Engine, groupKeyOf, type GroupState } from '../../src/correlate/engine.js';

let dir: string;
let rules: CompiledRule[];

const RULES: Record<string, string> = {
  'crash.yaml': `id: crash
title: Crash loop
severity: critical
match:
  - regex: 'App \\[(?<service>[^\\]:]+):\\d+\\] exited with code \\[(?<code>[1-9]\\d*)\\]'
  - regex: '(?<service>\\w+) had too many unstable restarts'
    sufficient: true
window: 2m
threshold: { count: 3 }
caused_by: [port]
diagnosis: 'exit code {{code}}'
examples: { match: ['App [api:0] exited with code [1] via signal [SIGINT]'], no_match: ['App [api:0] exited with code [0] via signal [SIGINT]'] }
`,
  'port.yaml': `id: port
title: Port in use
severity: error
match:
  - regex: 'EADDRINUSE: address already in use \\S*:(?<port>\\d+)'
group_by: [service, port]
window: 1m
resolve_after: 30s
diagnosis: 'port {{port}}'
examples: { match: ['Error: listen EADDRINUSE: address already in use :::3000'], no_match: ['EADDRINUSE'] }
`,
  'dup.yaml': `id: dup
title: Duplicate watcher
severity: error
match:
  - regex: 'tsx watch (?<target>\\S+) pid=(?<pid>\\d+)'
group_by: [target]
window: 5m
threshold: { count: 2, distinct: pid }
diagnosis: 'x'
examples: { match: ['tsx watch a.ts pid=1'], no_match: ['tsx'] }
`,
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-prop-'));
  rules = Object.entries(RULES).map(([name, text]) => {
    fs.writeFileSync(path.join(dir, name), text);
    return loadRuleFile(path.join(dir, name));
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** mulberry32: a small seeded generator, so every run is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = Date.parse('2026-02-10T03:00:00Z');

function randomMatches(seed: number): Match[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const out: Match[] = [];
  let t = T0;
  const n = 50 + Math.floor(rnd() * 400);
  for (let i = 0; i < n; i++) {
    // mostly bursts, sometimes long quiet gaps, sometimes several lines in one millisecond. In
    // time order, as both drivers feed it (analyze merges its files by time; watch gets lines as
    // they are written): a line that comes late after a clock tick resolved its incident cannot
    // agree with a batch that had no clock.
    const gap = rnd() < 0.1 ? rnd() * 900_000 : rnd() < 0.2 ? 0 : rnd() * 20_000;
    t += Math.round(gap);
    const time = t;
    const service = pick(['api', 'web', 'worker']);
    const text = pick([
      `App [${service}:0] exited with code [${pick([1, 2, 137])}] via signal [SIGINT]`,
      `App [${service}:0] exited with code [1] via signal [SIGINT]`,
      `${service} had too many unstable restarts`,
      `Error: listen EADDRINUSE: address already in use :::${pick([3000, 3001, 8080])}`,
      `node tsx watch ${pick(['a.ts', 'b.ts'])} pid=${pick([10, 11, 12, 13])}`,
    ]);
    const event: LogEvent = { kind: 'log', file: `${service}.log`, line: i + 1, lineCount: 1, text, raw: text, time, timeApprox: false, service };
    for (const rule of rules) {
      const m = matchRule(rule, event);
      if (m) out.push(m);
    }
  }
  return out;
}

function latest(into: Map<string, Incident>, engine: Engine): void {
  for (const c of engine.takeChanges()) into.set(c.incident.id, c.incident);
}

function batch(matches: Match[]): Incident[] {
  const engine = new Engine(rules);
  for (const m of matches) engine.add(m);
  engine.flush(matches.reduce((a, m) => Math.max(a, m.time), 0));
  const out = new Map<string, Incident>();
  latest(out, engine);
  return [...out.values()];
}

/** Watch's use: arrival = log time + a lag, ticks, checkpoints and kill -9 restarts. */
function live(matches: Match[], seed: number): Incident[] {
  const rnd = prng(seed ^ 0x5eed);
  const LAG = 1234;
  const saved = new Map<string, GroupState>();
  const delivered = new Map<string, Incident>();
  let engine = new Engine(rules);
  let checkpointAt = 0;
  let uncommitted = new Map<string, Incident>();
  const checkpoint = (i: number): void => {
    latest(uncommitted, engine);
    const delta = engine.takeStateDelta();
    // the store gets a JSON copy, as SQLite would
    for (const g of delta.put) saved.set(groupKeyOf(g.rule, g.key), JSON.parse(JSON.stringify(g)));
    for (const k of delta.remove) saved.delete(k);
    for (const [id, inc] of uncommitted) delivered.set(id, inc);
    uncommitted = new Map();
    checkpointAt = i;
  };
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    if (!m) continue;
    const arrival = m.time + LAG;
    if (rnd() < 0.3) engine.tick(arrival);
    engine.add(m, arrival);
    if (rnd() < 0.1) checkpoint(i + 1);
    else if (rnd() < 0.03) {
      // kill -9: what was not checkpointed is gone; restart from the store, re-read since then
      engine = new Engine(rules, [...saved.values()].map((g) => JSON.parse(JSON.stringify(g))));
      uncommitted = new Map();
      i = checkpointAt - 1;
    }
  }
  const end = matches.reduce((a, m) => Math.max(a, m.time), 0);
  engine.tick(end + LAG);
  checkpoint(matches.length);
  return [...delivered.values()];
}

/** What must agree: everything but the cause links, which watch computes over open incidents only. */
function comparable(incidents: Incident[]): unknown[] {
  return incidents
    .map((i) => ({ ...i, links: i.links.filter((l) => l.relation === 'recurrence-of') }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('one engine, batch or live', () => {
  it('gives identical incidents and ids for the same matches (120 random runs)', () => {
    let incidents = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const matches = randomMatches(seed);
      const b = batch(matches);
      const l = live(matches, seed);
      incidents += b.length;
      expect(comparable(l), `seed ${seed}`).toEqual(comparable(b));
      expect(b.reduce((n, i) => n + i.count, 0), `seed ${seed}`).toBeLessThanOrEqual(matches.length);
    }
    // the runs did exercise the engine
    expect(incidents).toBeGreaterThan(500);
  }, 60_000);
});
