// The configuration file's schema: one zod strictObject (unknown keys are errors), the source of
// schema/config.schema.json for editor completion. Keys are snake_case like the rule files'.
import { z } from 'zod';
import { UNIT_NAME } from '../text/unit-name.js';

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration like 30s, 5m or 2h')
  .describe('A duration: 30s, 5m, 2h');
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

const silence = z
  .strictObject({
    rule: z.string().optional().describe('Rule id the silence applies to (any when absent)'),
    service: z.string().optional().describe('Service the silence applies to (any when absent)'),
    host: z.string().optional().describe('Agent host the silence applies to (any when absent)'),
    until: z.iso.datetime({ offset: true }).optional().describe('Silence ends then (ISO-8601); forever when absent'),
    comment: z.string().optional().describe('Why, and who said so'),
  })
  .describe('Matching incidents are not sent to sinks (they are still detected, stored and printed)');

export const configSchema = z
  .strictObject({
    watch: z
      .strictObject({
        paths: z.array(z.string().min(1)).optional().describe('Files, folders and globs `watch` follows when given none'),
        pm2: z.union([z.boolean(), z.string().min(1)]).optional().describe("Follow PM2's logs: true for $PM2_HOME or ~/.pm2, or a PM2 home folder"),
        ecosystem: z.string().min(1).optional().describe("A PM2 ecosystem file whose apps' custom log paths to follow too"),
        ps_interval: duration.optional().describe('Read the process table this often for duplicate dev servers'),
        journald: z
          .union([z.boolean(), z.array(z.string().regex(UNIT_NAME, 'a systemd unit name')).min(1)])
          .optional()
          .describe('Follow the systemd journal: true for all the user may read, or a list of units (--journald)'),
      })
      // a section left with only comments in it reads as null
      .nullish(),
    rules: z.array(z.string().min(1)).optional().describe('Extra rule folders or files (--rules)'),
    store: z.string().min(1).optional().describe('SQLite store of watch, report and incidents (--db)'),
    out: z.string().min(1).optional().describe('Markdown reports folder (--out)'),
    lang: z.enum(['en', 'zh']).optional().describe('Language of reports and console lines (--lang)'),
    host: z.string().regex(/^[^\s\u0000-\u001f]{1,253}$/).optional().describe('Host label of alerts and change records (--host)'),
    sinks: z
      .strictObject({
        alertmanager: z
          .strictObject({
            urls: z.array(httpUrl).min(1).describe('Alertmanager base URLs; list each of an HA pair'),
            runbook_url: httpUrl.optional().describe('Alerts link reports as <runbook_url><incident-id>.md'),
            resend_interval: duration.optional().describe('Re-send open alerts this often (default 60s)'),
          })
          .nullish(),
        webhook: z.strictObject({ urls: z.array(httpUrl).min(1).describe('Each change record is POSTed as JSON to each URL') }).nullish(),
      })
      .nullish(),
    silences: z.array(silence).nullish(),
  })
  .meta({ title: 'incident-analyser configuration', description: 'incident-analyser.yaml or ~/.config/incident-analyser/config.yaml' });

export type Config = z.infer<typeof configSchema>;
export type Silence = z.infer<typeof silence>;

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { target: 'draft-2020-12', io: 'input' });
}
