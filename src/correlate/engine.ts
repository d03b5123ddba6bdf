// The one correlation engine, for both drivers, on log time (event time). `analyze` feeds it the
// matches of every file merged in time order and calls flush(end) at the end of the logs; `watch`
// feeds it as lines arrive and calls tick(now) with the clock, which only decides when a quiet
// incident is over. Matches of one rule and one group key form incidents as the rule's strategy
// decides (strategies/); what the engine keeps per incident is O(1) in its matches
// (incident-state.ts). It emits structured changes — opened, updated, escalated, resolved,
// linked — and never renders text: sinks do. Its state is plain JSON per group, and the groups
// changed since the last save are handed out with takeStateDelta(), so watch saves them in the
// same transaction as the read positions and the changes.
import type { Incident, IncidentChange, IncidentChangeKind, Match } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import { incidentId } from './incident-id.js';
import { absorb, newAgg, toIncident, type IncidentAgg } from './incident-state.js';
import { linkRootCauses } from './links.js';
import { strategyFor, type Strategy } from './strategies/index.js';

/** Counts at which an open incident is reported again. */
const ESCALATE_AT = [10, 100, 1000, 10_000, 100_000, 1_000_000];
/** A group with nothing open or pending is kept this long (clock), to link a recurrence to its incident. */
const IDLE_GROUP_MS = 6 * 3_600_000;
/** At most this many idle groups are kept (the longest idle go first). */
export const MAX_IDLE_GROUPS = 1000;

/** One rule and group key: its counting state, its open incident, its last incident's id. */
export interface GroupState {
  rule: string;
  key: string;
  /** The box or scenario of its matches ('' for a single-scope run; absent in older saves). */
  scope?: string | undefined;
  pending: unknown;
  /** Sample of the matches pending since the cluster began (folded into the incident when it opens). */
  draft: IncidentAgg | undefined;
  open: IncidentAgg | undefined;
  lastId: string | undefined;
  /** Clock (live) or log time (batch) of the group's latest match. */
  arrival: number;
}

/** Is this (JSON-restored) value a group's state? The strategy checks its own part. */
export function isGroupState(value: unknown): value is GroupState {
  return (
    typeof value === 'object' &&
    value !== null &&
    'rule' in value &&
    typeof value.rule === 'string' &&
    'key' in value &&
    typeof value.key === 'string' &&
    'arrival' in value &&
    typeof value.arrival === 'number' &&
    'pending' in value
  );
}

export interface StateDelta {
  put: GroupState[];
  remove: string[];
}

interface Group extends GroupState {
  strategy: Strategy;
  compiled: CompiledRule;
  /** The rule takes part in cause links. */
  linked: boolean;
  /** Its key in `groups` (groupKeyOf), made once. */
  mapKey: string;
  /** It is in `dirtyGroups` (a Set insert per match was measurable). */
  dirty: boolean;
  /**
   * The captures object, service and file of a match whose values are all in `seenIn`'s bounded
   * sets: the next match of the same repeated line (which shares its captures object) need not
   * look them up again. Not state: never saved.
   */
  seen: Match['captures'] | undefined;
  seenService: string;
  seenFile: string;
  seenIn: IncidentAgg | undefined;
  /** Its open incident is in `touched` since take number `touchedIn` (a Set lookup per match saved). */
  touchedIn: number;
}

interface RuleEntry {
  compiled: CompiledRule;
  strategy: Strategy;
  linked: boolean;
  /** This rule's groups by group key: one lookup per match instead of a key concatenation and two. */
  groups: Map<string, Group>;
}

interface Pending {
  kind: IncidentChangeKind;
  agg: IncidentAgg;
  group: Group;
}

export function groupKeyOf(rule: string, key: string): string {
  return `${rule}\u0001${key}`;
}

export class Engine {
  private readonly rules = new Map<string, RuleEntry>();
  private readonly groups = new Map<string, Group>();
  private readonly changes: Pending[] = [];
  /** Incidents with a change of their own in `changes`, or updated since the last take. */
  private readonly touched = new Set<IncidentAgg>();
  private readonly updated = new Map<IncidentAgg, Group>();
  private readonly dirtyGroups = new Set<string>();
  private readonly removedGroups = new Set<string>();
  /** Rules that take part in cause links: only their open incidents are linked. */
  private readonly linkRules = new Set<string>();
  /** Cause links last computed, and whether a linked rule's incident changed since. */
  private links = new Map<string, { links: Incident['links']; sig: string }>();
  private linksDirty = true;
  matches = 0;
  /** takeChanges() calls so far. */
  private takes = 0;

  constructor(rules: CompiledRule[], state: Iterable<GroupState> = []) {
    for (const r of rules) {
      if (r.spec.caused_by.length > 0) {
        this.linkRules.add(r.spec.id);
        for (const c of r.spec.caused_by) this.linkRules.add(c);
      }
    }
    for (const r of rules) this.rules.set(r.spec.id, { compiled: r, strategy: strategyFor(r), linked: this.linkRules.has(r.spec.id), groups: new Map() });
    for (const g of state) {
      const rule = this.rules.get(g.rule);
      // a group of a rule no longer loaded, or saved by a strategy that changed, is dropped
      if (!rule || !rule.strategy.isState(g.pending)) continue;
      const mapKey = groupKeyOf(g.rule, g.key);
      const group: Group = { ...g, strategy: rule.strategy, compiled: rule.compiled, linked: rule.linked, mapKey, ...unseen() };
      this.groups.set(mapKey, group);
      rule.groups.set(g.key, group);
    }
  }

  /** One match. `arrival` is the clock in watch mode; batch leaves it to the match's log time. */
  add(m: Match, arrival: number = m.time): void {
    const rule = this.rules.get(m.rule);
    if (!rule) return;
    this.matches++;
    let g = rule.groups.get(m.groupKey);
    if (!g) {
      const mapKey = groupKeyOf(m.rule, m.groupKey);
      g = { rule: m.rule, key: m.groupKey, scope: m.scope, pending: rule.strategy.initial(), draft: undefined, open: undefined, lastId: undefined, arrival, strategy: rule.strategy, compiled: rule.compiled, linked: rule.linked, mapKey, ...unseen() };
      this.groups.set(mapKey, g);
      rule.groups.set(m.groupKey, g);
      this.removedGroups.delete(mapKey);
    }
    if (arrival > g.arrival) g.arrival = arrival;
    if (!g.dirty) {
      g.dirty = true;
      this.dirtyGroups.add(g.mapKey);
    }
    if (g.linked) this.linksDirty = true;
    const open = g.open;
    if (open) {
      if (g.strategy.continues(open, m.time)) {
        // the same repeated line as the last match: its values are in the sets already
        const known = g.seen === m.captures && g.seenIn === open && g.seenService === m.service && g.seenFile === m.event.file;
        if (absorb(open, m, arrival, known) && !known) {
          g.seen = m.captures;
          g.seenIn = open;
          g.seenService = m.service;
          g.seenFile = m.event.file;
        }
        if (open.count >= (ESCALATE_AT[open.level] ?? Infinity)) {
          open.level++;
          this.change('escalated', open, g);
        } else if (g.touchedIn !== this.takes && !this.touched.has(open)) {
          this.touched.add(open);
          this.updated.set(open, g);
        }
        // touched stays so until the next take, and nothing but a take or a resolve replaces g.open
        g.touchedIn = this.takes;
        return;
      }
      this.resolve(g, open);
    }
    const step = g.strategy.pending(g.pending, m);
    if (step.fresh || !g.draft) g.draft = newAgg('', m, arrival, undefined);
    else absorb(g.draft, m, arrival);
    const opening = step.open;
    if (!opening) return;
    const id = incidentId(g.rule, g.key, opening.first.t);
    // the incident is the sample of its cluster so far, or this match alone
    const agg = opening.alone ? newAgg(id, m, arrival, g.lastId) : g.draft;
    agg.id = id;
    agg.previous = g.lastId;
    agg.count = opening.count;
    agg.first = opening.first.t;
    agg.evFirst = opening.first;
    agg.level = ESCALATE_AT.filter((n) => n <= agg.count).length;
    g.open = agg;
    g.lastId = id;
    g.pending = g.strategy.initial();
    g.draft = undefined;
    this.change('opened', agg, g);
  }

  /**
   * Watch mode, with the clock: incidents quiet for longer than their rule's resolve_after
   * resolve (the logs may simply stop, so the clock decides, not log time), and groups idle for
   * long are forgotten: the state must not grow with every port or path ever seen.
   */
  tick(now: number): void {
    const idle: Array<[string, number]> = [];
    for (const [key, g] of this.groups) {
      if (g.open && g.strategy.quiet(g.open, now - g.open.arrival)) this.resolve(g, g.open);
      if (!g.open && now - g.arrival > g.compiled.windowMs) idle.push([key, g.arrival]);
    }
    idle.sort((a, b) => a[1] - b[1]);
    const excess = idle.length - MAX_IDLE_GROUPS;
    idle.forEach(([key, last], i) => {
      if (i < excess || now - last > IDLE_GROUP_MS) {
        const g = this.groups.get(key);
        if (g) this.rules.get(g.rule)?.groups.delete(g.key);
        this.groups.delete(key);
        this.dirtyGroups.delete(key);
        this.removedGroups.add(key);
      }
    });
  }

  /** Batch: the logs end at `end` (log time): incidents quiet for resolve_after by then are resolved. */
  flush(end: number | undefined): void {
    if (end === undefined) return;
    for (const g of this.groups.values()) {
      if (g.open && g.strategy.quiet(g.open, end - g.open.last)) this.resolve(g, g.open);
    }
  }

  /**
   * The changes since the last call, in the order they happened; an incident that only got more
   * matches appears once, as `updated`. Cause links among open incidents are computed here, so
   * a change whose links differ from the last reported ones is reported as `linked`.
   */
  takeChanges(): IncidentChange[] {
    const out: IncidentChange[] = [];
    const links = this.currentLinks();
    const build = (p: Pending): Incident => {
      const inc = toIncident(p.agg, p.group.compiled, p.group.key, p.group.scope);
      const extra = links.get(p.agg.id);
      if (extra) inc.links.push(...extra.links);
      return inc;
    };
    // one change per kind per incident per take (several escalation steps in one take are one
    // escalation; an incident that opened in this take shows its count already)
    const kinds = new Map<IncidentAgg, Set<IncidentChangeKind>>();
    for (const p of this.changes) {
      const had = kinds.get(p.agg) ?? new Set<IncidentChangeKind>();
      kinds.set(p.agg, had);
      if (had.has(p.kind) || (p.kind === 'escalated' && had.has('opened'))) continue;
      had.add(p.kind);
      out.push({ kind: p.kind, incident: build(p) });
    }
    for (const [agg, group] of this.updated) out.push({ kind: 'updated', incident: build({ kind: 'updated', agg, group }) });
    // links that changed on an incident with no other change
    const reported = new Set(out.map((c) => c.incident.id));
    for (const g of this.groups.values()) {
      const agg = g.open;
      if (!agg) continue;
      const sig = links.get(agg.id)?.sig ?? '';
      if (sig === agg.linkSig) continue;
      agg.linkSig = sig;
      this.dirtyGroups.add(g.mapKey);
      if (!reported.has(agg.id)) out.push({ kind: 'linked', incident: build({ kind: 'linked', agg, group: g }) });
    }
    this.changes.length = 0;
    this.touched.clear();
    this.updated.clear();
    this.takes++;
    return out;
  }

  /** Changes are waiting to be taken (one worth telling someone about, with `notable`). */
  hasChanges(notable = false): boolean {
    return this.changes.length > 0 || (!notable && this.updated.size > 0);
  }

  /** The open incidents (structured, unrendered). */
  openIncidents(): Incident[] {
    const out: Incident[] = [];
    for (const g of this.groups.values()) if (g.open) out.push(toIncident(g.open, g.compiled, g.key, g.scope));
    return out;
  }

  /** Groups changed and removed since the last call: what a checkpoint saves. */
  takeStateDelta(): StateDelta {
    const put: GroupState[] = [];
    for (const key of this.dirtyGroups) {
      const g = this.groups.get(key);
      if (!g) continue;
      g.dirty = false;
      put.push(plainState(g));
    }
    const remove = [...this.removedGroups];
    this.dirtyGroups.clear();
    this.removedGroups.clear();
    return { put, remove };
  }

  /** Every group's state (tests; a full save). */
  snapshot(): GroupState[] {
    return [...this.groups.values()].map((g) => structuredClone(plainState(g)));
  }

  private resolve(g: Group, agg: IncidentAgg): void {
    agg.status = 'resolved';
    g.open = undefined;
    if (g.linked) this.linksDirty = true;
    this.dirtyGroups.add(g.mapKey);
    this.change('resolved', agg, g);
  }

  private change(kind: IncidentChangeKind, agg: IncidentAgg, group: Group): void {
    this.changes.push({ kind, agg, group });
    this.touched.add(agg);
    this.updated.delete(agg);
  }

  /** Cause links among the open incidents of rules that have causes or are one. */
  private currentLinks(): Map<string, { links: Incident['links']; sig: string }> {
    if (!this.linksDirty) return this.links;
    this.linksDirty = false;
    this.links = this.computeLinks();
    return this.links;
  }

  private computeLinks(): Map<string, { links: Incident['links']; sig: string }> {
    // Only rules that can link now (an effect and one of its causes both open) are built into
    // incidents: building every open one per take cost 17 ms with 3,000 port-in-use incidents
    // open in the soak (port-in-use is a cause of pm2-restart-loop) and linked none of them.
    const openRules = new Set<string>();
    for (const g of this.groups.values()) if (g.open && this.linkRules.has(g.rule)) openRules.add(g.rule);
    const linkable = new Set<string>();
    for (const rule of openRules) {
      for (const cause of this.rules.get(rule)?.compiled.spec.caused_by ?? []) {
        if (!openRules.has(cause)) continue;
        linkable.add(rule);
        linkable.add(cause);
      }
    }
    const open: Incident[] = [];
    if (linkable.size > 0) {
      for (const g of this.groups.values()) {
        if (g.open && linkable.has(g.rule)) {
          const inc = toIncident(g.open, g.compiled, g.key, g.scope);
          inc.links = [];
          open.push(inc);
        }
      }
    }
    const out = new Map<string, { links: Incident['links']; sig: string }>();
    if (open.length < 2) return out;
    const compiled = [...this.rules.values()].map((r) => r.compiled);
    for (const inc of linkRootCauses(open, compiled, new Set())) {
      if (inc.links.length === 0) continue;
      const sig = inc.links.map((l) => `${l.relation}:${l.id}`).sort().join(',');
      out.set(inc.id, { links: inc.links, sig });
    }
    return out;
  }
}

function unseen(): Pick<Group, 'dirty' | 'seen' | 'seenService' | 'seenFile' | 'seenIn' | 'touchedIn'> {
  return { dirty: false, seen: undefined, seenService: '', seenFile: '', seenIn: undefined, touchedIn: -1 };
}

function plainState(g: Group): GroupState {
  return { rule: g.rule, key: g.key, scope: g.scope, pending: g.pending, draft: g.draft, open: g.open, lastId: g.lastId, arrival: g.arrival };
}
