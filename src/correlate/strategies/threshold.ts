// `threshold: { count, distinct }` within `window` (log time): the incident opens once `count`
// matches (or distinct values of a capture) fall within one window, or a `sufficient` pattern
// matched; it goes on while matches follow within the window, and ends after `resolve_after`
// without one. The window is kept as bucketed counts (WINDOW_BUCKETS per window), never as a
// record per match: a window of a crash loop holds millions of lines. A bucket counts while any
// of its matches is inside the window, so the edge is exact to 1/WINDOW_BUCKETS of a window.
import type { Match } from '../../model.js';
import type { CompiledRule } from '../../rules/types.js';
import { evidenceOf, type Ev, type IncidentAgg } from '../incident-state.js';
import type { PendingStep, Strategy, StrategyModule } from './strategy.js';

const WINDOW_BUCKETS = 30;

interface Bucket {
  /** Bucket index: floor(time / bucket size). */
  i: number;
  n: number;
  /** Earliest and latest match time in the bucket. */
  t: number;
  u: number;
  /** The earliest match, as evidence: it becomes the incident's first line. */
  f: Ev;
  /** Distinct values of the `distinct` capture (at most `count`: more makes no difference). */
  d?: string[];
}

export interface ThresholdState {
  b: Bucket[];
  /** Latest pending match time, or -Infinity (JSON: null) when nothing is pending. */
  last: number | null;
}

function isThresholdState(value: unknown): value is ThresholdState {
  return typeof value === 'object' && value !== null && 'b' in value && Array.isArray(value.b) && 'last' in value;
}

class Threshold implements Strategy<ThresholdState> {
  readonly kind = 'threshold';
  private readonly windowMs: number;
  private readonly continueMs: number;
  private readonly resolveMs: number;
  private readonly need: number;
  private readonly distinct: string | undefined;
  private readonly size: number;

  constructor(rule: CompiledRule) {
    this.windowMs = rule.windowMs;
    this.resolveMs = rule.resolveAfterMs;
    // a match after the quiet period starts a new incident even inside the window, in batch as
    // in watch (where the quiet period is measured on the clock): both must agree
    this.continueMs = Math.min(rule.windowMs, rule.resolveAfterMs);
    this.need = rule.spec.threshold.count;
    this.distinct = rule.spec.threshold.distinct;
    this.size = Math.max(1, Math.ceil(rule.windowMs / WINDOW_BUCKETS));
  }

  initial(): ThresholdState {
    return { b: [], last: null };
  }

  isState(value: unknown): value is ThresholdState {
    return isThresholdState(value);
  }

  pending(s: ThresholdState, m: Match): PendingStep {
    const t = m.time;
    const fresh = s.last === null || s.b.length === 0 || t - s.last > this.windowMs;
    if (fresh) s.b = [];
    const latest = s.last === null || fresh || t > s.last ? t : s.last;
    s.last = latest;
    const bucket = this.bucketFor(s, t, m);
    bucket.n++;
    if (t > bucket.u) bucket.u = t;
    if (this.distinct !== undefined) {
      const value = m.captures[this.distinct] ?? '';
      const d = (bucket.d ??= []);
      if (d.length < this.need && !d.includes(value)) d.push(value);
    }
    // buckets whose every match is older than the window are out
    const from = latest - this.windowMs;
    let drop = 0;
    while (drop < s.b.length && (s.b[drop]?.u ?? 0) < from) drop++;
    if (drop > 0) s.b.splice(0, drop);
    const have = this.have(s);
    if (have >= this.need) {
      let count = 0;
      let first: Bucket | undefined;
      for (const b of s.b) {
        count += b.n;
        if (!first || b.t < first.t) first = b;
      }
      if (first) return { fresh, open: { count, first: first.f, alone: false } };
    }
    if (m.sufficient) return { fresh, open: { count: 1, first: evidenceOf(m), alone: true } };
    return { fresh, open: undefined };
  }

  private bucketFor(s: ThresholdState, t: number, m: Match): Bucket {
    const i = Math.floor(t / this.size);
    let at = s.b.length;
    while (at > 0 && (s.b[at - 1]?.i ?? -Infinity) > i) at--;
    const found = s.b[at - 1];
    if (found && found.i === i) {
      if (t < found.t) {
        found.t = t;
        found.f = evidenceOf(m);
      }
      return found;
    }
    const created: Bucket = { i, n: 0, t, u: t, f: evidenceOf(m) };
    s.b.splice(at, 0, created);
    return created;
  }

  private have(s: ThresholdState): number {
    if (this.distinct === undefined) {
      let n = 0;
      for (const b of s.b) n += b.n;
      return n;
    }
    const values = new Set<string>();
    for (const b of s.b) for (const v of b.d ?? []) values.add(v);
    return values.size;
  }

  continues(agg: IncidentAgg, time: number): boolean {
    return time - agg.last <= this.continueMs;
  }

  quiet(_agg: IncidentAgg, quietMs: number): boolean {
    return quietMs > this.resolveMs;
  }

  idle(s: ThresholdState, time: number): boolean {
    return s.last === null || s.b.length === 0 || time - s.last > this.windowMs;
  }
}

export const threshold: StrategyModule = {
  kind: 'threshold',
  create: (rule) => new Threshold(rule),
};
