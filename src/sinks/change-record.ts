// The change record: one incident opened, escalated, updated or resolved, as every outside
// consumer sees it — `watch --format json` lines, webhook bodies, and the source of Alertmanager
// alerts. Its JSON Schema is generated from change-schema.ts (schema/change-record.schema.json);
// keys are only ever added, never renamed or removed, within a `version`.
import path from 'node:path';
import type { Incident } from '../model.js';
import { toJsonIncident, type JsonIncident } from './json.js';

export const CHANGE_EVENTS = ['opened', 'escalated', 'updated', 'resolved'] as const;
export type ChangeEvent = (typeof CHANGE_EVENTS)[number];

export const CHANGE_RECORD_VERSION = 1;

export interface ChangeRecord {
  /** Schema version of this record. */
  version: typeof CHANGE_RECORD_VERSION;
  event: ChangeEvent;
  /** ISO-8601 wall-clock time the agent saw the change. */
  at: string;
  /** The agent that saw it (`--host`, else the machine's host name). */
  host: string;
  incident: JsonIncident;
  /** Where the incident's Markdown report is: a path on `host` or a URL. */
  report?: string | undefined;
}

export interface RecordContext {
  host: string;
  /** `--out` of this run: reports are at `<out>/incidents/<id>.md`. */
  reportDir?: string | undefined;
  /** A URL prefix the report pages are published under; wins over reportDir. */
  reportUrl?: string | undefined;
}

export function reportLocation(incidentId: string, ctx: RecordContext): string | undefined {
  const file = `${incidentId}.md`;
  if (ctx.reportUrl) return `${ctx.reportUrl}${encodeURIComponent(incidentId)}.md`;
  if (ctx.reportDir) return path.resolve(ctx.reportDir, 'incidents', file);
  return undefined;
}

export function toChangeRecord(incident: Incident, event: ChangeEvent, ctx: RecordContext, at = new Date()): ChangeRecord {
  const report = reportLocation(incident.id, ctx);
  return {
    version: CHANGE_RECORD_VERSION,
    event,
    at: at.toISOString(),
    host: ctx.host,
    incident: toJsonIncident(incident),
    ...(report ? { report } : {}),
  };
}

/** A batch run's incidents (analyze, report) as changes: open ones opened, the others resolved. */
export function recordsForIncidents(incidents: Incident[], ctx: RecordContext, at = new Date()): ChangeRecord[] {
  return incidents.map((i) => toChangeRecord(i, i.status === 'resolved' ? 'resolved' : 'opened', ctx, at));
}
