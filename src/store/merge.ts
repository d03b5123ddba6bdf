// How a stored incident and the same incident from a new run combine. Ids are deterministic
// (rule + group + first seen), so re-analysing the same files meets the same ids:
// - count = max: the same lines give the same count, appended lines a larger one, and a run whose
//   old lines were rotated away must not shrink what was already seen;
// - firstSeen = min, lastSeen = max; services, files, captureValues and links = union;
// - the side with the larger count (the new run on a tie) supplies the evidence and everything
//   rendered from its captures (captures, title, severity, summary, rootCause, remediations,
//   verify, prevent), so the report text matches the evidence shown under it;
// - status always comes from the new run.
import type { Incident, IncidentLink } from '../model.js';
import { isoToMs } from './rows.js';
import type { StoredIncident } from './rows.js';

export interface MergeOutcome {
  incident: StoredIncident;
  /** True when the new run's evidence replaces the stored lines. */
  replaceEvidence: boolean;
}

export function mergeIncident(stored: StoredIncident, incoming: Incident): MergeOutcome {
  const incomingWins = incoming.count >= stored.count;
  const winner: StoredIncident = incomingWins ? incoming : stored;
  const firstSeen =
    isoToMs(incoming.firstSeen, 'firstSeen') < isoToMs(stored.firstSeen, 'firstSeen') ? incoming.firstSeen : stored.firstSeen;
  const lastSeen =
    isoToMs(incoming.lastSeen, 'lastSeen') > isoToMs(stored.lastSeen, 'lastSeen') ? incoming.lastSeen : stored.lastSeen;
  return {
    replaceEvidence: incomingWins,
    incident: {
      id: stored.id,
      rule: incoming.rule,
      title: winner.title,
      severity: winner.severity,
      status: incoming.status,
      firstSeen,
      lastSeen,
      count: Math.max(stored.count, incoming.count),
      services: union(incoming.services, stored.services),
      files: union(incoming.files, stored.files),
      groupKey: incoming.groupKey,
      captures: winner.captures,
      captureValues: unionValues(incoming.captureValues, stored.captureValues),
      summary: winner.summary,
      rootCause: winner.rootCause,
      remediations: winner.remediations,
      verify: winner.verify,
      prevent: winner.prevent,
      links: unionLinks(incoming.links, stored.links),
      // Times come from both runs, so they are approximate if either run's were.
      timeApprox: incoming.timeApprox || stored.timeApprox,
      ...(incoming.scope ? { scope: incoming.scope } : {}),
      ...(incoming.rulePaths?.length ? { rulePaths: incoming.rulePaths } : stored.rulePaths?.length ? { rulePaths: stored.rulePaths } : {}),
    },
  };
}

/** `first` in its order, then what only `second` has: a re-run of the same lines changes nothing. */
export function union(first: readonly string[], second: readonly string[]): string[] {
  const seen = new Set(first);
  return [...first, ...second.filter((item) => !seen.has(item))];
}

/**
 * Distinct values kept per capture name across runs; the same cap as the correlator's
 * MAX_CAPTURE_VALUES (more only if one run alone had more).
 */
export const CAPTURE_VALUES_CAP = 20;

/** Per capture name, new values first; bounded so years of re-runs cannot grow a row without end. */
function unionValues(
  first: Readonly<Record<string, string[]>>,
  second: Readonly<Record<string, string[]>>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of union(Object.keys(first), Object.keys(second))) {
    const a = first[name] ?? [];
    const b = second[name] ?? [];
    out[name] = union(a, b).slice(0, Math.max(CAPTURE_VALUES_CAP, a.length, b.length));
  }
  return out;
}

function unionLinks(first: readonly IncidentLink[], second: readonly IncidentLink[]): IncidentLink[] {
  const key = (link: IncidentLink): string => `${link.relation}\u0000${link.id}`;
  const seen = new Set(first.map(key));
  return [...first, ...second.filter((link) => !seen.has(key(link)))];
}
