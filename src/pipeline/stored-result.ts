// Stored incidents as an AnalysisResult, for the sinks (reports, JSON) when no read happened now:
// `incidents list`, `report`, and the reports watch mode keeps current.
import type { AnalysisResult, Incident, RunStats } from '../model.js';

/** `store`: the database the incidents were read from, so reports say so instead of "read 0 lines". */
export function resultFromIncidents(incidents: Incident[], store?: string): AnalysisResult {
  const files = [...new Set(incidents.flatMap((i) => i.files))].sort();
  const matches = incidents.reduce((n, i) => n + i.count, 0);
  const stats: RunStats = {
    files: files.length,
    lines: 0,
    bytes: 0,
    events: matches,
    matches,
    durationMs: 0,
    skipped: [],
    empty: 0,
    truncatedLines: 0,
    approximateTimes: incidents.some((i) => i.timeApprox),
    from: incidents.map((i) => i.firstSeen).sort()[0],
    to: incidents.map((i) => i.lastSeen).sort().at(-1),
    ...(store !== undefined ? { store } : {}),
  };
  return { incidents, stats, files };
}
