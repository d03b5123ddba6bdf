// Every rule proves itself (like ESLint's RuleTester and fail2ban's filter samples): its
// examples must match, its near misses must not, through the real parser and prefilter.
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { runExamples } from '../../src/match/examples.js';

const rules = loadRules();
const BUILT_IN_IDS = ['next-build-missing', 'ws-send-after-close', 'db-pool-timeout', 'duplicate-process', 'port-in-use', 'pm2-restart-loop', 'heap-out-of-memory'];

describe('built-in rules', () => {
  it('include every id other tools key on', () => {
    expect(rules.map((r) => r.spec.id)).toEqual(expect.arrayContaining(BUILT_IN_IDS));
  });

  it('name only existing rules as causes', () => {
    const ids = new Set(rules.map((r) => r.spec.id));
    for (const r of rules) for (const c of r.spec.caused_by) expect(ids.has(c), `${r.spec.id} caused_by ${c}`).toBe(true);
  });
});

describe.each(rules.map((r) => [r.spec.id, r] as const))('rule %s', (_id, rule) => {
  const outcomes = runExamples(rule);
  it.each(outcomes.filter((o) => o.expected === 'match').map((o) => [o.text.slice(0, 90), o] as const))('matches %s', (_t, o) => {
    expect(o.prefilterHit, 'the prefilter must find this line, or a real run never tests it').not.toBe(false);
    expect(o.ok).toBe(true);
  });
  it.each(outcomes.filter((o) => o.expected === 'no_match').map((o) => [o.text.slice(0, 90), o] as const))('does not match %s', (_t, o) => {
    expect(o.ok, `matched with ${JSON.stringify(o.captures)}`).toBe(true);
  });
});
