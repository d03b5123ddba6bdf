// Decide when matches are an incident: matches of one rule and one group key that follow each
// other within the rule's window (log time, never read time) form a cluster; a cluster becomes
// an incident once `threshold.count` matches (or distinct values) fall within one window, or a
// `sufficient` pattern matched. Memory stays bounded: every match is counted, but only a few
// per group keep their text for evidence.
import { createHash } from 'node:crypto';
import type { EvidenceLine, Incident, Match } from '../model.js';
import type { CompiledRule } from '../rules/types.js';

/** Matches per group kept whole (for evidence and capture values); later ones keep only their time. */
const KEEP_FIRST = 50;
const MAX_VARIANTS = 50;
const MAX_CAPTURE_VALUES = 20;
const EVIDENCE_VARIANTS = 3;
const EVIDENCE_TEXT_CHARS = 4000;

interface Rec {
  time: number;
  seq: number;
  service: string;
  file: string;
  sufficient: boolean;
  distinct: string | undefined;
  approx: boolean;
  full: Match | undefined;
  /** Kept as one of the first or as a new variant, not just for being the latest. */
  keptForItself?: boolean;
}

interface Group {
  rule: CompiledRule;
  key: string;
  scope: string;
  recs: Rec[];
  kept: number;
  variants: Set<string>;
  latest: Rec | undefined;
}

export class Correlator {
  private readonly rules = new Map<string, CompiledRule>();
  private readonly groups = new Map<string, Group>();
  private seq = 0;
  matches = 0;

  constructor(rules: CompiledRule[]) {
    for (const r of rules) this.rules.set(r.spec.id, r);
  }

  add(m: Match): void {
    const rule = this.rules.get(m.rule);
    if (!rule) return;
    this.matches++;
    const gk = `${m.rule}\u0001${m.groupKey}`;
    let g = this.groups.get(gk);
    if (!g) this.groups.set(gk, (g = { rule, key: m.groupKey, scope: m.scope, recs: [], kept: 0, variants: new Set(), latest: undefined }));
    const distinctKey = rule.spec.threshold.distinct;
    const rec: Rec = {
      time: m.time,
      seq: this.seq++,
      service: m.service,
      file: m.event.file,
      sufficient: m.sufficient,
      distinct: distinctKey ? (m.captures[distinctKey] ?? '') : undefined,
      approx: m.event.timeApprox,
      full: undefined,
    };
    const variant = variantOf(m.event.text);
    if (g.kept < KEEP_FIRST || (!g.variants.has(variant) && g.variants.size < MAX_VARIANTS)) {
      rec.full = m;
      g.kept++;
    }
    g.variants.add(variant);
    // the latest match keeps its text so the incident's last evidence line is real
    if (!g.latest || rec.time >= g.latest.time) {
      if (g.latest && g.latest.full && !g.latest.keptForItself) g.latest.full = undefined;
      rec.keptForItself = rec.full !== undefined;
      rec.full ??= m;
      g.latest = rec;
    } else {
      rec.keptForItself = rec.full !== undefined;
    }
    g.recs.push(rec);
  }

  /** Build the incidents. `endOfLogs` (the latest log time seen) decides open vs resolved. */
  finish(endOfLogs: number | undefined): Incident[] {
    const incidents: Incident[] = [];
    for (const g of this.groups.values()) {
      g.recs.sort((a, b) => a.time - b.time || a.seq - b.seq);
      const windowMs = g.rule.windowMs;
      let start = 0;
      for (let i = 1; i <= g.recs.length; i++) {
        const prev = g.recs[i - 1];
        const cur = g.recs[i];
        if (cur === undefined || (prev !== undefined && cur.time - prev.time > windowMs)) {
          const inc = this.clusterIncident(g, g.recs.slice(start, i), endOfLogs);
          if (inc) incidents.push(inc);
          start = i;
        }
      }
    }
    return incidents;
  }

  private clusterIncident(g: Group, cluster: Rec[], endOfLogs: number | undefined): Incident | undefined {
    const opening = openingIndex(cluster, g.rule);
    if (opening < 0) return undefined;
    return buildIncident(g, cluster.slice(opening), endOfLogs);
  }
}

/** Index of the first match of the window in which the threshold is first reached, or -1. */
function openingIndex(cluster: Rec[], rule: CompiledRule): number {
  const need = rule.spec.threshold.count;
  const windowMs = rule.windowMs;
  const counts = new Map<string, number>();
  let j = 0;
  for (let i = 0; i < cluster.length; i++) {
    const rec = cluster[i];
    if (!rec) break;
    if (rec.distinct !== undefined) counts.set(rec.distinct, (counts.get(rec.distinct) ?? 0) + 1);
    while (j < i && rec.time - (cluster[j]?.time ?? rec.time) > windowMs) {
      const old = cluster[j]?.distinct;
      if (old !== undefined) {
        const n = (counts.get(old) ?? 1) - 1;
        if (n === 0) counts.delete(old);
        else counts.set(old, n);
      }
      j++;
    }
    const have = rec.distinct !== undefined ? counts.size : i - j + 1;
    if (have >= need) return j;
    if (rec.sufficient) return i;
  }
  return -1;
}

/** Shape of a message: numbers, hex ids and quoted values masked, so variants are distinct messages. */
export function variantOf(text: string): string {
  const first = text.slice(0, 300).split('\n', 1)[0] ?? '';
  return first.replace(/0x[0-9a-f]+|\b[0-9a-f]{8,}\b|\d+/gi, '#');
}

function buildIncident(g: Group, recs: Rec[], endOfLogs: number | undefined): Incident {
  const rule = g.rule;
  const first = recs[0];
  const last = recs[recs.length - 1];
  if (!first || !last) throw new Error('empty incident');
  const services = new Set<string>();
  const files = new Set<string>();
  const fulls: Match[] = [];
  let approx = false;
  for (const r of recs) {
    services.add(r.service);
    files.add(r.file);
    if (r.full) fulls.push(r.full);
    if (r.approx) approx = true;
  }
  const captureValues: Record<string, string[]> = {};
  for (const m of fulls) {
    for (const [k, v] of Object.entries(m.captures)) {
      const list = (captureValues[k] ??= []);
      if (v && !list.includes(v) && list.length < MAX_CAPTURE_VALUES) list.push(v);
    }
  }
  const firstSeen = new Date(first.time).toISOString();
  const id = `${rule.spec.id}-${createHash('sha1').update(`${rule.spec.id}\u0000${g.key}\u0000${firstSeen}`).digest('hex').slice(0, 10)}`;
  const captures = fulls[0]?.captures ?? {};
  const incident: Incident = {
    id,
    rule: rule.spec.id,
    title: rule.spec.title,
    severity: rule.spec.severity,
    status: endOfLogs !== undefined && endOfLogs - last.time > rule.resolveAfterMs ? 'resolved' : 'open',
    firstSeen,
    lastSeen: new Date(last.time).toISOString(),
    count: recs.length,
    services: [...services].sort(),
    files: [...files].sort(),
    groupKey: g.key,
    ...(g.scope !== '' ? { scope: g.scope } : {}),
    captures,
    captureValues,
    evidence: pickEvidence(fulls),
    summary: '',
    rootCause: '',
    remediations: [],
    verify: [],
    prevent: [],
    links: [],
    timeApprox: approx,
  };
  // texts (summary, remediation...) are rendered by the sinks (sinks/incident-text.ts)
  return incident;
}

/** The first match, a few distinct variants, and the last: what a reader needs, not every line. */
function pickEvidence(fulls: Match[]): EvidenceLine[] {
  if (fulls.length === 0) return [];
  const chosen: Match[] = [];
  const seen = new Set<string>();
  const take = (m: Match | undefined): void => {
    if (!m || chosen.includes(m)) return;
    chosen.push(m);
    seen.add(variantOf(m.event.text));
  };
  take(fulls[0]);
  for (const m of fulls) {
    if (chosen.length >= 1 + EVIDENCE_VARIANTS) break;
    if (!seen.has(variantOf(m.event.text))) take(m);
  }
  take(fulls[fulls.length - 1]);
  chosen.sort((a, b) => a.time - b.time || (a.event.file < b.event.file ? -1 : 1) || a.event.line - b.event.line);
  return chosen.map((m) => ({
    file: m.event.file,
    line: m.event.line,
    text: m.event.raw.length > EVIDENCE_TEXT_CHARS ? `${m.event.raw.slice(0, EVIDENCE_TEXT_CHARS)}…` : m.event.raw,
    time: new Date(m.time).toISOString(),
  }));
}
