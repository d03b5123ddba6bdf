// The JSON document of DESIGN.md's contract, shared by `analyze --format json` and
// `incidents list --format json`. Contract keys first; extra keys are additive.
import type { AnalysisResult, Incident, RunStats } from '../model.js';

export interface JsonDocument {
  incidents: JsonIncident[];
  stats: JsonStats;
}

export type JsonIncident = Omit<Incident, 'evidence'> & { evidence: Array<{ file: string; line: number; text: string; time?: string | undefined }> };

export type JsonStats = Pick<RunStats, 'files' | 'lines' | 'bytes' | 'events' | 'matches' | 'durationMs'> & Partial<RunStats>;

export function toJsonIncident(i: Incident): JsonIncident {
  return {
    id: i.id,
    rule: i.rule,
    title: i.title,
    severity: i.severity,
    status: i.status,
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
    count: i.count,
    services: i.services,
    rootCause: i.rootCause,
    evidence: i.evidence.map((e) => ({ file: e.file, line: e.line, text: e.text, ...(e.time ? { time: e.time } : {}) })),
    remediations: i.remediations,
    summary: i.summary,
    files: i.files,
    groupKey: i.groupKey,
    ...(i.scope ? { scope: i.scope } : {}),
    captures: i.captures,
    captureValues: i.captureValues,
    verify: i.verify,
    prevent: i.prevent,
    links: i.links,
    timeApprox: i.timeApprox,
  };
}

export function toJsonDocument(result: Pick<AnalysisResult, 'incidents' | 'stats'>): JsonDocument {
  const s = result.stats;
  return {
    incidents: result.incidents.map(toJsonIncident),
    stats: {
      files: s.files,
      lines: s.lines,
      bytes: s.bytes,
      events: s.events,
      matches: s.matches,
      durationMs: s.durationMs,
      from: s.from,
      to: s.to,
      skipped: s.skipped,
      empty: s.empty,
      ...(s.scopes ? { scopes: s.scopes } : {}),
      truncatedLines: s.truncatedLines,
      approximateTimes: s.approximateTimes,
    },
  };
}
