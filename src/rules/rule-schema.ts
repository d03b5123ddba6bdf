// The one schema for rule files (built-in `rules/*.yaml` and user `--rules` folders alike).
// Unknown keys are errors, so a typo in a rule fails loudly at load time, never per line.
//
// zod is loaded and the schema built on first use (`schemas()`): with the built-in rules read
// from the build-time cache, a run never needs it, and importing zod cost ~0.1 s of start-up.
import { createRequire } from 'node:module';
import type { z } from 'zod';
import { SEVERITIES } from '../model.js';
import { DURATION } from './duration.js';
import { CAPTURE_TYPES } from './capture-types.js';

export { parseDuration } from './duration.js';

const require = createRequire(import.meta.url);

function build() {
  const zod: typeof import('zod') = require('zod');
  const z = zod.z;
  const durationSchema = z.string().regex(DURATION, 'a duration like 30s, 5m, 2h or 1d');

  const patternSchema = z.strictObject({
    /** JavaScript regular expression, matched against the event's text. Named groups become captures. */
    regex: z.string().min(1),
    /** Regex flags (only i, m, s, u make sense here). */
    flags: z.string().regex(/^[imsu]*$/, 'only the flags i, m, s and u').optional(),
    /** Which events: log lines (default) or rows of a `ps` snapshot. */
    source: z.enum(['log', 'ps']).default('log'),
    /** This pattern alone opens an incident, whatever the rule's threshold says. */
    sufficient: z.boolean().default(false),
    /** Fixed captures to add when this pattern matches (e.g. which library said it). */
    set: z.record(z.string(), z.string()).optional(),
    /**
     * The service this pattern's matches are reported under, from captures (`{{command}}`) or
     * `{{match}}` (the matched text). Default: a `service` capture, else the name from the file.
     */
    service: z.string().optional(),
  });

  const remediationSchema = z.strictObject({
    title: z.string().min(1),
    kind: z.enum(['command', 'code-change', 'config-change', 'investigate']).default('command'),
    /** Shell commands (Handlebars; a capture only as {{arg name}}); shown in reports, never run by analyze. */
    commands: z.array(z.string()).default([]),
    detail: z.string().optional(),
  });

  /**
   * The rule's texts in Chinese, at the end of the file so edits to the English parts merge
   * easily. Lists are aligned with the English ones by index; commands are not repeated: a
   * `remediation[i]` has only `title` (and `detail` where the English one has one), and a verify or
   * prevent item that is a command is `~` (shown as it is) or `# 注释` (the command with its
   * trailing comment in Chinese). See docs/rules.md#chinese-texts.
   */
  const zhSchema = z.strictObject({
    title: z.string().min(1),
    description: z.string().optional(),
    summary: z.string().optional(),
    diagnosis: z.string().min(1),
    remediation: z.array(z.strictObject({ title: z.string().min(1), detail: z.string().optional() })).default([]),
    verify: z.array(z.string().min(1).nullable()).default([]),
    prevent: z.array(z.string().min(1).nullable()).default([]),
    /**
     * Chinese for the prose that patterns' `set:` give (by capture, then the English value), so a
     * Chinese sentence does not carry an English clause: `symptom: { 'no connection…': '…' }`.
     * Names (driver: Prisma) need none.
     */
    set: z.record(z.string(), z.record(z.string(), z.string().min(1))).default({}),
  });

  const ruleSchema = z.strictObject({
    /** Stable identifier; other tools key on it. */
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'kebab-case, like ws-send-after-close'),
    title: z.string().min(1),
    severity: z.enum(SEVERITIES),
    /** One sentence for `rules list`. */
    description: z.string().optional(),
    /** Any one of these patterns matching makes a match. */
    match: z.array(patternSchema).min(1),
    /** A match is dropped when the event text also matches one of these (near-miss guards). */
    exclude: z.array(z.string().min(1)).default([]),
    /** Keys that split matches into separate incidents: service, file, or capture names. */
    group_by: z.array(z.string().min(1)).default(['service']),
    /** Matches further apart than this (log time) are separate incidents. */
    window: durationSchema.default('5m'),
    threshold: z
      .strictObject({
        /** Matches needed within the window to open an incident. */
        count: z.number().int().min(1).default(1),
        /** Count distinct values of this capture (e.g. pid) instead of matches. */
        distinct: z.string().optional(),
      })
      .default({ count: 1 }),
    /** Watch mode: resolve after this long without a match (default: the window). */
    resolve_after: durationSchema.optional(),
    /**
     * Type of each capture that may appear in pasteable text (commands, verify, code in detail):
     * app, port, pid, int, signal, path, module, host, url, word, time or text. Defaults by name
     * (service: app, port: port, pid: pid, path: path, address: host, module: module...); any
     * other capture is free text, which is never put into a command.
     */
    captures: z.record(z.string().regex(/^[A-Za-z_$][\w$]*$/, 'a capture name'), z.enum(CAPTURE_TYPES)).default({}),
    /** Rules whose incidents, when they overlap this one, are its likely cause. */
    caused_by: z.array(z.string()).default([]),
    /** What happened, for the report (Handlebars; captures and `count`, `services` available). */
    summary: z.string().optional(),
    /** Why it happens (Handlebars). Becomes the incident's rootCause. */
    diagnosis: z.string().min(1),
    remediation: z.array(remediationSchema).default([]),
    verify: z.array(z.string()).default([]),
    prevent: z.array(z.string()).default([]),
    /** Proof: event texts that must match, and near misses that must not. Run by the test suite and `rules test`. */
    examples: z.strictObject({
      match: z.array(z.string()).min(1),
      no_match: z.array(z.string()).min(1),
    }),
    /** Where the message formats come from (catalogue sections, library sources). */
    references: z.array(z.string()).default([]),
    /** Chinese texts (`--lang zh`); a built-in rule must have them (`rules lint`). */
    zh: zhSchema.optional(),
  });

  return { ruleSchema, patternSchema, remediationSchema };
}

let built: ReturnType<typeof build> | undefined;

export function schemas(): ReturnType<typeof build> {
  built ??= build();
  return built;
}

export type RuleSpec = z.infer<ReturnType<typeof build>['ruleSchema']>;
export type PatternSpec = z.infer<ReturnType<typeof build>['patternSchema']>;
