// Conversion between `Incident` (model.ts) and table rows. JSON columns are validated on the way
// back, so a hand-edited or damaged row is reported as a StoreError rather than leaking bad data.
import { z } from 'zod';
import { SEVERITIES } from '../model.js';
import type { EvidenceLine, Incident } from '../model.js';
import { StoreError } from './errors.js';

/** An incident without its evidence lines (those live in their own table). */
export type StoredIncident = Omit<Incident, 'evidence'>;

export interface IncidentRow {
  id: string;
  rule: string;
  title: string;
  severity: string;
  status: string;
  first_seen: string;
  first_seen_ms: number;
  last_seen: string;
  last_seen_ms: number;
  count: number;
  group_key: string;
  services: string;
  files: string;
  captures: string;
  capture_values: string;
  summary: string;
  root_cause: string;
  remediations: string;
  verify: string;
  prevent: string;
  links: string;
  time_approx: number;
  scope: string;
  rule_paths: string;
  created_at: string;
  updated_at: string;
}

export interface EvidenceRow {
  incident_id: string;
  ordinal: number;
  file: string;
  line: number;
  text: string;
  time: string | null;
}

export const INCIDENT_COLUMNS = [
  'id', 'rule', 'title', 'severity', 'status', 'first_seen', 'first_seen_ms', 'last_seen',
  'last_seen_ms', 'count', 'group_key', 'services', 'files', 'captures', 'capture_values', 'summary',
  'root_cause', 'remediations', 'verify', 'prevent', 'links', 'time_approx', 'scope', 'rule_paths', 'created_at',
  'updated_at',
] as const satisfies readonly (keyof IncidentRow)[];

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.string());
const stringListMap = z.record(z.string(), stringList);
const remediations = z.array(
  z.object({
    title: z.string(),
    kind: z.enum(['command', 'code-change', 'config-change', 'investigate']),
    commands: stringList,
    detail: z.string().optional(),
    notes: stringList.optional(),
  }),
);
const links = z.array(
  z.object({
    id: z.string(),
    rule: z.string(),
    title: z.string(),
    relation: z.enum(['caused-by', 'causes', 'recurrence-of']),
  }),
);
const severity = z.enum(SEVERITIES);
const status = z.enum(['open', 'resolved']);

export function isoToMs(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`${what} is not an ISO-8601 time: ${JSON.stringify(iso)}`);
  return ms;
}

export function toIncidentRow(incident: StoredIncident, createdAt: string, updatedAt: string): IncidentRow {
  return {
    id: incident.id,
    rule: incident.rule,
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    first_seen: incident.firstSeen,
    first_seen_ms: isoToMs(incident.firstSeen, `incident ${incident.id} firstSeen`),
    last_seen: incident.lastSeen,
    last_seen_ms: isoToMs(incident.lastSeen, `incident ${incident.id} lastSeen`),
    count: incident.count,
    group_key: incident.groupKey,
    services: JSON.stringify(incident.services),
    files: JSON.stringify(incident.files),
    captures: JSON.stringify(incident.captures),
    capture_values: JSON.stringify(incident.captureValues),
    summary: incident.summary,
    root_cause: incident.rootCause,
    remediations: JSON.stringify(incident.remediations),
    verify: JSON.stringify(incident.verify),
    prevent: JSON.stringify(incident.prevent),
    links: JSON.stringify(incident.links),
    time_approx: incident.timeApprox ? 1 : 0,
    scope: incident.scope ?? '',
    rule_paths: JSON.stringify(incident.rulePaths ?? []),
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

export function toEvidenceRows(incidentId: string, evidence: readonly EvidenceLine[]): EvidenceRow[] {
  return evidence.map((line, ordinal) => ({
    incident_id: incidentId,
    ordinal,
    file: line.file,
    line: line.line,
    text: line.text,
    time: line.time ?? null,
  }));
}

export function fromIncidentRow(row: IncidentRow, file: string): StoredIncident {
  const check = <T>(schema: z.ZodType<T>, name: keyof IncidentRow, value: unknown): T => {
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new StoreError(file, `${file}: incident ${row.id} has an unreadable ${name} column`);
    }
    return result.data;
  };
  const json = <T>(schema: z.ZodType<T>, name: keyof IncidentRow): T => {
    let value: unknown;
    try {
      value = JSON.parse(String(row[name]));
    } catch {
      value = undefined;
    }
    return check(schema, name, value);
  };
  const rulePaths = json(stringList, 'rule_paths');
  return {
    id: row.id,
    rule: row.rule,
    title: row.title,
    severity: check(severity, 'severity', row.severity),
    status: check(status, 'status', row.status),
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    count: row.count,
    services: json(stringList, 'services'),
    files: json(stringList, 'files'),
    groupKey: row.group_key,
    captures: json(stringMap, 'captures'),
    captureValues: json(stringListMap, 'capture_values'),
    summary: row.summary,
    rootCause: row.root_cause,
    remediations: json(remediations, 'remediations'),
    verify: json(stringList, 'verify'),
    prevent: json(stringList, 'prevent'),
    links: json(links, 'links'),
    timeApprox: row.time_approx !== 0,
    // left out when empty, so an incident without them reads back equal to the one saved
    ...(row.scope !== '' ? { scope: row.scope } : {}),
    ...(rulePaths.length > 0 ? { rulePaths } : {}),
  };
}

export function fromEvidenceRow(row: EvidenceRow): EvidenceLine {
  const line: EvidenceLine = { file: row.file, line: row.line, text: row.text };
  // Leave `time` out rather than undefined, so a stored line equals the one that was saved.
  if (row.time !== null) line.time = row.time;
  return line;
}
