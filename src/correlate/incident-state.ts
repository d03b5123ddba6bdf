// What the engine keeps per incident: O(1) in its number of matches. Counts, first and last time,
// a bounded evidence sample (the first match, a few distinct variants, the last), bounded value
// sets with overflow counters. Plain JSON, so it is saved with the read positions as it is.
// (The old batch correlator kept a record per match: ~200 B each, 1.3 GB RSS on a 256 MiB log
// where every line matched, and 3 GiB of such lines ran out of heap.)
import type { EvidenceLine, Incident, Match } from '../model.js';
import type { CompiledRule } from '../rules/types.js';

const MAX_VALUES = 20;
const MAX_SERVICES = 50;
const MAX_FILES = 50;
const EVIDENCE_VARIANTS = 3;
const EVIDENCE_TEXT_CHARS = 4000;
/**
 * Matches whose shape is compared with the variants already kept. Past this many the sample is
 * what it is: masking every line of a crash loop with a regex costs more than the rest of the
 * engine together.
 */
const VARIANT_SCAN = 2000;

/** A value set that stops growing: `more` counts matches whose value did not fit. */
export interface Bounded {
  v: string[];
  more: number;
}

/** An evidence line with its time as epoch ms (ISO strings are made when an incident is shown). */
export interface Ev {
  file: string;
  line: number;
  text: string;
  t: number;
}

export interface IncidentAgg {
  id: string;
  /** Earliest and latest match time (epoch ms, log time). */
  first: number;
  last: number;
  count: number;
  services: Bounded;
  files: Bounded;
  /** Captures of the first match (diagnosis templates use them). */
  captures: Record<string, string>;
  /**
   * Each capture's distinct values. A key missing here has only the first match's value
   * (`captures[k]`, if set): the set is made when a second value comes, so an open incident of
   * one match holds no set (5 sets of port-in-use were a quarter of its heap; see toIncident).
   */
  values: Record<string, Bounded>;
  evFirst: Ev;
  evVariants: Ev[];
  variantKeys: string[];
  evLast: Ev;
  scanned: number;
  approx: boolean;
  /** Wall-clock ms (live) or log time (batch) of the latest match: the quiet period runs from it. */
  arrival: number;
  status: 'open' | 'resolved';
  /** The previous incident of the same rule and group: this one is its recurrence. */
  previous: string | undefined;
  /** How many escalation steps were reported. */
  level: number;
  /** Signature of the cause links last reported, so unchanged links are not reported again. */
  linkSig: string;
}

/** Shape of a message: numbers, hex ids and quoted values masked, so variants are distinct messages. */
export function variantOf(text: string): string {
  const first = text.slice(0, 300).split('\n', 1)[0] ?? '';
  return first.replace(/0x[0-9a-f]+|\b[0-9a-f]{8,}\b|\d+/gi, '#');
}

export function evidenceOf(m: Match): Ev {
  const raw = m.event.raw;
  return { file: m.event.file, line: m.event.line, text: raw.length > EVIDENCE_TEXT_CHARS ? `${raw.slice(0, EVIDENCE_TEXT_CHARS)}…` : raw, t: m.time };
}

function setEvidence(ev: Ev, m: Match): void {
  const raw = m.event.raw;
  ev.file = m.event.file;
  ev.line = m.event.line;
  ev.text = raw.length > EVIDENCE_TEXT_CHARS ? `${raw.slice(0, EVIDENCE_TEXT_CHARS)}…` : raw;
  ev.t = m.time;
}

/** Is `value` in the set (now)? */
function addBounded(set: Bounded, value: string, cap: number): boolean {
  if (set.v.includes(value)) return true;
  if (set.v.length < cap) {
    set.v.push(value);
    return true;
  }
  set.more++;
  return false;
}

/** A new aggregate from its first match. */
export function newAgg(id: string, m: Match, arrival: number, previous: string | undefined): IncidentAgg {
  const ev = evidenceOf(m);
  const agg: IncidentAgg = {
    id,
    first: m.time,
    last: m.time,
    count: 0,
    services: { v: [], more: 0 },
    files: { v: [], more: 0 },
    captures: m.captures,
    values: {},
    evFirst: ev,
    evVariants: [],
    variantKeys: [variantOf(ev.text)],
    evLast: ev,
    scanned: 0,
    approx: false,
    arrival,
    status: 'open',
    previous,
    level: 0,
    linkSig: '',
  };
  absorb(agg, m, arrival);
  // An array grown by push from empty reserves 17 slots (152 B); most incidents never get a
  // second service, file or value, and watch holds every open one (the soak: 3,000 at once).
  // Copied to their size once here, an open incident takes ~40% less heap.
  agg.services.v = agg.services.v.slice();
  agg.files.v = agg.files.v.slice();
  agg.evVariants = agg.evVariants.slice();
  agg.variantKeys = agg.variantKeys.slice();
  return agg;
}

/**
 * Take one match into the aggregate: the hot path when every line matches. `known`: its service,
 * file and capture values are in the sets already (the caller saw them fit). Returns whether they
 * all are now (none overflowed a set).
 */
export function absorb(agg: IncidentAgg, m: Match, arrival: number, known = false): boolean {
  agg.count++;
  if (arrival > agg.arrival) agg.arrival = arrival;
  if (m.time < agg.first) {
    agg.first = m.time;
    agg.evFirst = evidenceOf(m);
  }
  if (m.time >= agg.last) {
    agg.last = m.time;
    const ev = agg.evLast;
    // the last line's record is rewritten in place when nothing else holds it: an object per
    // match was garbage on a log where every line matches
    if (ev !== agg.evFirst && !agg.evVariants.includes(ev)) setEvidence(ev, m);
    else agg.evLast = evidenceOf(m);
  }
  if (m.event.timeApprox) agg.approx = true;
  let fit = true;
  if (!known) {
    fit = addBounded(agg.services, m.service, MAX_SERVICES) && fit;
    fit = addBounded(agg.files, m.event.file, MAX_FILES) && fit;
    const captures = m.captures;
    for (const k in captures) {
      const v = captures[k];
      if (!v) continue;
      const set = agg.values[k];
      if (set) fit = addBounded(set, v, MAX_VALUES) && fit;
      else if (v !== agg.captures[k]) {
        // a second value: the set starts with the first match's (in the order they came)
        const first = agg.captures[k];
        agg.values[k] = { v: first ? [first, v] : [v], more: 0 };
      }
    }
  }
  if (agg.evVariants.length < EVIDENCE_VARIANTS && agg.scanned < VARIANT_SCAN) {
    agg.scanned++;
    const key = variantOf(m.event.text);
    if (!agg.variantKeys.includes(key)) {
      agg.variantKeys.push(key);
      agg.evVariants.push(agg.evLast.line === m.event.line && agg.evLast.file === m.event.file ? agg.evLast : evidenceOf(m));
    }
  }
  return fit;
}

function toEvidenceLine(e: Ev): EvidenceLine {
  return { file: e.file, line: e.line, text: e.text, time: new Date(e.t).toISOString() };
}

/** The first match, the variants and the last, once each, in time order. */
function evidence(agg: IncidentAgg): EvidenceLine[] {
  const all = [agg.evFirst, ...agg.evVariants, agg.evLast];
  const seen = new Set<string>();
  const unique = all.filter((e) => {
    const k = `${e.file}\u0000${e.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  unique.sort((a, b) => a.t - b.t || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line);
  return unique.map(toEvidenceLine);
}

/** The aggregate as the pipeline's Incident: structured, no rendered text (sinks render). */
export function toIncident(agg: IncidentAgg, rule: CompiledRule, groupKey: string, scope?: string): Incident {
  // the first match's keys come first, as they were first seen; then keys later matches brought
  const captureValues: Record<string, string[]> = {};
  for (const k in agg.captures) {
    const first = agg.captures[k];
    if (first) captureValues[k] = [...(agg.values[k]?.v ?? [first])];
  }
  for (const k in agg.values) {
    const set = agg.values[k];
    if (set && !(k in captureValues)) captureValues[k] = [...set.v];
  }
  const overflow = Object.entries(agg.values).filter(([, set]) => set.more > 0);
  return {
    id: agg.id,
    rule: rule.spec.id,
    title: rule.spec.title,
    severity: rule.spec.severity,
    status: agg.status,
    firstSeen: new Date(agg.first).toISOString(),
    lastSeen: new Date(agg.last).toISOString(),
    count: agg.count,
    services: [...agg.services.v].sort(),
    files: [...agg.files.v].sort(),
    groupKey,
    ...(scope ? { scope } : {}),
    captures: agg.captures,
    captureValues,
    ...(overflow.length > 0 ? { captureOverflow: Object.fromEntries(overflow.map(([k, set]) => [k, set.more])) } : {}),
    evidence: evidence(agg),
    summary: '',
    rootCause: '',
    remediations: [],
    verify: [],
    prevent: [],
    links: agg.previous ? [{ id: agg.previous, rule: rule.spec.id, title: rule.spec.title, relation: 'recurrence-of' }] : [],
    timeApprox: agg.approx,
  };
}
