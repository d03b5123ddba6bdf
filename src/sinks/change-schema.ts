// The change record (change-record.ts) as a zod schema: the source of the JSON Schema shipped
// in schema/change-record.schema.json (scripts/write-schemas.js, at build) for Vector, Fluent Bit
// and webhook receivers. The compile-time check below keeps it equal to the TypeScript type.
import { z } from 'zod';
import { SEVERITIES } from '../model.js';
import { CHANGE_EVENTS, CHANGE_RECORD_VERSION, type ChangeRecord } from './change-record.js';

const iso = z.iso.datetime({ offset: true }).describe('ISO-8601 date-time');
const strings = z.array(z.string());

const incident = z
  .strictObject({
    id: z.string().describe('Stable id: <rule>-<hash>; the same lines give the same id'),
    rule: z.string().describe('Rule id (next-build-missing, ws-send-after-close, ...)'),
    title: z.string(),
    severity: z.enum(SEVERITIES),
    status: z.enum(['open', 'resolved']),
    firstSeen: iso,
    lastSeen: iso,
    count: z.number().int().min(0).describe('Matched events in this incident, exact'),
    services: strings,
    rootCause: z.string().describe('The diagnosis, Markdown'),
    evidence: z.array(z.strictObject({ file: z.string(), line: z.number().int().min(1), text: z.string(), time: iso.optional() })),
    remediations: z.array(
      z.strictObject({
        title: z.string(),
        kind: z.enum(['command', 'code-change', 'config-change', 'investigate']),
        commands: strings,
        detail: z.string().optional(),
      }),
    ),
    summary: z.string(),
    files: strings,
    groupKey: z.string(),
    scope: z.string().optional().describe('The box or scenario the incident belongs to, when its run had several (a path, `@host` for a second host)'),
    captures: z.record(z.string(), z.string()),
    captureValues: z.record(z.string(), strings),
    verify: strings,
    prevent: strings,
    links: z.array(
      z.strictObject({ id: z.string(), rule: z.string(), title: z.string(), relation: z.enum(['caused-by', 'causes', 'recurrence-of']) }),
    ),
    timeApprox: z.boolean().describe('Times were estimated (the log had no timestamps)'),
  })
  .describe('An incident, as in `analyze --format json`');

export const changeRecordSchema = z
  .strictObject({
    version: z.literal(CHANGE_RECORD_VERSION),
    event: z.enum(CHANGE_EVENTS).describe('opened, escalated (count passed 10, 100, ...), updated, resolved'),
    at: iso.describe('When the agent saw the change (wall clock)'),
    host: z.string().describe('The agent: --host, else the host name'),
    incident,
    report: z.string().optional().describe("The incident's Markdown report: a path on the host, or a URL (--runbook-url)"),
  })
  .meta({
    title: 'incident-analyser change record',
    description:
      'One incident change: a `watch --format json` line, a webhook body, the source of an Alertmanager alert. Within a version keys are only added; consumers ignore keys they do not know.',
  });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same: Same<z.infer<typeof changeRecordSchema>, ChangeRecord> = true;
void same;

export function changeRecordJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(changeRecordSchema, { target: 'draft-2020-12' });
}
