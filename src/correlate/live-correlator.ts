// Incidents as lines arrive (watch mode): the same windows and thresholds as the batch
// Correlator, on log time, so the same lines open the same incidents with the same ids; plus a
// lifecycle the batch has no use for: an incident resolves after a quiet period (wall clock,
// since logs may simply stop), and the problem coming back opens a new incident linked to the
// old one. The whole state is plain data, saved with the read positions in one transaction, so
// a restart re-reads only lines after the checkpoint and counts nothing twice.
import { createHash } from 'node:crypto';
import type { EvidenceLine, Incident, Match } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import { variantOf } from './correlator.js';

const MAX_CAPTURE_VALUES = 20;
const EVIDENCE_VARIANTS = 3;
const EVIDENCE_TEXT_CHARS = 4000;
/** Counts at which an open incident is reported again ("escalated"). */
const ESCALATE_AT = [10, 100, 1000, 10000, 100000];

interface PendingMatch {
  time: number;
  distinct: string | undefined;
  evidence: EvidenceLine;
  service: string;
  captures: Record<string, string>;
  approx: boolean;
}

interface LiveIncident {
  id: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  services: string[];
  files: string[];
  captures: Record<string, string>;
  captureValues: Record<string, string[]>;
  first: EvidenceLine;
  variants: EvidenceLine[];
  variantKeys: string[];
  last: EvidenceLine;
  approx: boolean;
  /** Wall-clock ms of the last match, for the quiet period. */
  lastArrival: number;
  status: 'open' | 'resolved';
  previousId: string | undefined;
}

interface GroupState {
  rule: string;
  key: string;
  pending: PendingMatch[];
  open: LiveIncident | undefined;
  lastIncidentId: string | undefined;
  /** Wall-clock ms of the group's last match: idle groups are forgotten (see tick). */
  lastArrival?: number;
}

/** A group with nothing open or pending is kept this long, to link a recurrence to its incident. */
const IDLE_GROUP_MS = 6 * 3_600_000;
/** At most this many idle groups are kept (the oldest go first). */
const MAX_IDLE_GROUPS = 1000;

export interface LiveState {
  version: 1;
  groups: GroupState[];
}

/** `updated` (one more match) is recorded for the next checkpoint but not notified. */
export type IncidentChange = 'opened' | 'updated' | 'escalated' | 'resolved';

export class LiveCorrelator {
  private readonly rules = new Map<string, CompiledRule>();
  private readonly groups = new Map<string, GroupState>();
  /** Incidents changed since the last `takeChanged()`, by id. */
  private readonly changed = new Map<string, LiveIncident & { rule: string; key: string }>();
  matches = 0;

  constructor(
    rules: CompiledRule[],
    private readonly notify: (incident: Incident, change: IncidentChange) => void = () => {},
    state?: LiveState,
  ) {
    for (const r of rules) this.rules.set(r.spec.id, r);
    for (const g of state?.groups ?? []) if (this.rules.has(g.rule)) this.groups.set(`${g.rule}\u0001${g.key}`, g);
  }

  add(m: Match, arrival = Date.now()): void {
    const rule = this.rules.get(m.rule);
    if (!rule) return;
    this.matches++;
    const gk = `${m.rule}\u0001${m.groupKey}`;
    let g = this.groups.get(gk);
    if (!g) this.groups.set(gk, (g = { rule: m.rule, key: m.groupKey, pending: [], open: undefined, lastIncidentId: undefined }));
    g.lastArrival = arrival;
    const evidence: EvidenceLine = {
      file: m.event.file,
      line: m.event.line,
      text: m.event.raw.length > EVIDENCE_TEXT_CHARS ? `${m.event.raw.slice(0, EVIDENCE_TEXT_CHARS)}…` : m.event.raw,
      time: new Date(m.time).toISOString(),
    };
    const distinctKey = rule.spec.threshold.distinct;
    const pm: PendingMatch = {
      time: m.time,
      distinct: distinctKey ? (m.captures[distinctKey] ?? '') : undefined,
      evidence,
      service: m.service,
      captures: m.captures,
      approx: m.event.timeApprox,
    };
    const inc = g.open;
    if (inc && inc.status === 'open' && m.time - inc.lastSeen <= rule.windowMs) {
      this.extend(g, inc, pm, rule, arrival);
      return;
    }
    if (inc && inc.status === 'open') this.resolve(g, inc, rule);
    // below threshold: keep the matches of the last window only
    g.pending = g.pending.filter((p) => m.time - p.time <= rule.windowMs);
    g.pending.push(pm);
    const need = rule.spec.threshold.count;
    const have = distinctKey ? new Set(g.pending.map((p) => p.distinct)).size : g.pending.length;
    if (have >= need || m.sufficient) {
      const opening = m.sufficient && have < need ? [pm] : g.pending;
      this.open(g, opening, rule, arrival);
      g.pending = [];
    }
  }

  /**
   * Resolve incidents quiet for longer than their rule's resolve_after (wall clock), and forget
   * groups idle for long: the state (saved every second) must not grow with every port or path
   * ever seen (a 10-minute soak with a new incident every 200 ms grew RSS and checkpoint time).
   */
  tick(now = Date.now()): void {
    const idle: Array<[string, number]> = [];
    for (const [key, g] of this.groups) {
      const rule = this.rules.get(g.rule);
      const inc = g.open;
      if (rule && inc && inc.status === 'open' && now - inc.lastArrival > rule.resolveAfterMs) this.resolve(g, inc, rule);
      // nothing open, and no match for longer than the window: what it still holds is history
      const last = g.lastArrival ?? 0;
      if (!g.open && now - last > (rule?.windowMs ?? 0)) idle.push([key, last]);
    }
    idle.sort((a, b) => a[1] - b[1]);
    const excess = idle.length - MAX_IDLE_GROUPS;
    idle.forEach(([key, last], i) => {
      if (i < excess || now - last > IDLE_GROUP_MS) this.groups.delete(key);
    });
  }

  snapshot(): LiveState {
    return { version: 1, groups: [...this.groups.values()].map((g) => structuredClone(g)) };
  }

  /** Incidents changed since the last call, as full Incident objects. */
  takeChanged(): Incident[] {
    const out: Incident[] = [];
    for (const c of this.changed.values()) {
      const rule = this.rules.get(c.rule);
      if (rule) out.push(toIncident(c, c.rule, c.key, rule));
    }
    this.changed.clear();
    return out;
  }

  /**
   * The open incidents. With `render: false` their texts are left empty: enough for linking
   * causes, which runs every checkpoint, without rendering every rule's templates each time.
   */
  current(options: { render: boolean } = { render: true }): Incident[] {
    const out: Incident[] = [];
    for (const g of this.groups.values()) {
      const rule = this.rules.get(g.rule);
      if (rule && g.open) out.push(toIncident(g.open, g.rule, g.key, rule, options.render));
    }
    return out;
  }

  private open(g: GroupState, opening: PendingMatch[], rule: CompiledRule, arrival: number): void {
    const first = opening[0];
    if (!first) return;
    const firstSeen = new Date(first.time).toISOString();
    const id = `${rule.spec.id}-${createHash('sha1').update(`${rule.spec.id}\u0000${g.key}\u0000${firstSeen}`).digest('hex').slice(0, 10)}`;
    const inc: LiveIncident = {
      id,
      firstSeen: first.time,
      lastSeen: first.time,
      count: 0,
      services: [],
      files: [],
      captures: first.captures,
      captureValues: {},
      first: first.evidence,
      variants: [],
      variantKeys: [variantOf(first.evidence.text)],
      last: first.evidence,
      approx: false,
      lastArrival: arrival,
      status: 'open',
      previousId: g.lastIncidentId,
    };
    for (const p of opening) this.absorb(inc, p);
    g.open = inc;
    g.lastIncidentId = id;
    this.emit(g, inc, rule, 'opened');
  }

  private extend(g: GroupState, inc: LiveIncident, p: PendingMatch, rule: CompiledRule, arrival: number): void {
    this.absorb(inc, p);
    inc.lastArrival = arrival;
    this.emit(g, inc, rule, ESCALATE_AT.includes(inc.count) ? 'escalated' : 'updated');
  }

  private absorb(inc: LiveIncident, p: PendingMatch): void {
    inc.count++;
    if (p.time < inc.firstSeen) inc.firstSeen = p.time;
    if (p.time >= inc.lastSeen) {
      inc.lastSeen = p.time;
      inc.last = p.evidence;
    }
    if (!inc.services.includes(p.service)) inc.services.push(p.service);
    if (!inc.files.includes(p.evidence.file)) inc.files.push(p.evidence.file);
    if (p.approx) inc.approx = true;
    for (const [k, v] of Object.entries(p.captures)) {
      const list = (inc.captureValues[k] ??= []);
      if (v && !list.includes(v) && list.length < MAX_CAPTURE_VALUES) list.push(v);
    }
    const key = variantOf(p.evidence.text);
    if (!inc.variantKeys.includes(key) && inc.variants.length < EVIDENCE_VARIANTS) {
      inc.variantKeys.push(key);
      inc.variants.push(p.evidence);
    }
  }

  private resolve(g: GroupState, inc: LiveIncident, rule: CompiledRule): void {
    inc.status = 'resolved';
    this.emit(g, inc, rule, 'resolved');
    g.open = undefined;
  }

  private emit(g: GroupState, inc: LiveIncident, rule: CompiledRule, change: IncidentChange): void {
    // the incident object is built (templates rendered) only when someone will see it: per
    // change that is reported, and per checkpoint for what changed; not per matched line
    this.changed.set(inc.id, { ...inc, rule: g.rule, key: g.key });
    if (change !== 'updated') this.notify(toIncident(inc, g.rule, g.key, rule), change);
  }
}

function toIncident(inc: LiveIncident, ruleId: string, key: string, rule: CompiledRule, render = true): Incident {
  const evidence: EvidenceLine[] = [inc.first, ...inc.variants];
  if (!evidence.includes(inc.last)) evidence.push(inc.last);
  const seen = new Set<string>();
  const unique = evidence.filter((e) => {
    const k = `${e.file}:${e.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  unique.sort((a, b) => (a.time ?? '').localeCompare(b.time ?? '') || a.line - b.line);
  const incident: Incident = {
    id: inc.id,
    rule: ruleId,
    title: rule.spec.title,
    severity: rule.spec.severity,
    status: inc.status,
    firstSeen: new Date(inc.firstSeen).toISOString(),
    lastSeen: new Date(inc.lastSeen).toISOString(),
    count: inc.count,
    services: [...inc.services].sort(),
    files: [...inc.files].sort(),
    groupKey: key,
    captures: inc.captures,
    captureValues: inc.captureValues,
    evidence: unique,
    summary: '',
    rootCause: '',
    remediations: [],
    verify: [],
    prevent: [],
    links: inc.previousId ? [{ id: inc.previousId, rule: ruleId, title: rule.spec.title, relation: 'recurrence-of' }] : [],
    timeApprox: inc.approx,
  };
  // texts are rendered by the sinks (sinks/incident-text.ts); `render` is kept for callers
  void render;
  return incident;
}
