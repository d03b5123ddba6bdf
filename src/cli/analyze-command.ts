// `incident-analyser analyze <paths...>`: the batch driver plus its sinks.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { severityRank, type AnalysisResult, type Lang, type Severity } from '../model.js';
import { loadRules } from '../rules/load-rules.js';
import { analyze } from '../pipeline/analyze.js';
import { toJsonDocument } from '../sinks/json.js';
import { renderText } from '../sinks/console-text.js';
import { UserError } from '../errors.js';
import { isStdinPath } from '../sources/discover.js';
import { inertJson, visible } from '../text/terminal.js';
import { collect, makeOutput, parseSeverity, parseTimeArg, VERSION } from './common.js';
import { checkOutDir, writeReportSet } from './report-output.js';
import { addSinkOptions, openSinks, recordContext, reportOutcomes, type SinkFlags } from './sink-options.js';
import { t } from '../sinks/messages.js';
import { langOption, resolveLang } from './lang.js';
import { localize } from './localize.js';

interface AnalyzeFlags extends SinkFlags {
  out?: string;
  format: 'md' | 'json' | 'text';
  db?: string;
  rules: string[];
  since?: number;
  until?: number;
  sinceEstimated?: boolean;
  failOn?: Severity;
  quiet?: boolean;
  followSymlinks?: boolean;
  lang?: Lang;
}

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('analyse log files, folders (recursively), globs and .gz files once and report the incidents found')
    .argument('<paths...>', 'log files, folders, globs (quote them), .gz files; - reads standard input')
    .option('-o, --out <dir>', 'write Markdown reports here: summary.md and incidents/<id>.md')
    .addOption(new Option('-f, --format <format>', 'what goes to stdout').choices(['md', 'json', 'text']).default('md'))
    .option('--db <file>', 'keep incidents in this SQLite file (re-runs update, never double-count)')
    .option('--rules <dir>', 'extra rule folder or file; repeat for more; same id replaces a built-in rule', collect, [])
    .option('--since <time>', 'ignore events before this ISO time or duration ago (2h)', parseTimeArg)
    .option('--until <time>', 'ignore events after this ISO time or duration ago', parseTimeArg)
    .option('--since-estimated', 'let --since/--until judge logs without timestamps by their estimated times (left out by default)')
    .option('--fail-on <severity>', 'exit 1 when an incident at or above this severity is found (info|warning|error|critical)', parseSeverity)
    .option('--follow-symlinks', 'follow symbolic links that lead out of the folders named (default: skip them, with a warning)')
    .option('-q, --quiet', 'no warnings; no report on stdout unless --format is given')
    .addOption(langOption());
  addSinkOptions(cmd)
    .action(async (paths: string[], flags: AnalyzeFlags, command: Command) => {
      const out = makeOutput(flags.quiet === true);
      checkOutDir(flags.out);
      if (process.stdin.isTTY && paths.some(isStdinPath)) out.warn('reading standard input from the terminal; end it with Ctrl-D');
      const lang = resolveLang(flags.lang);
      const startedAt = new Date();
      const rules = loadRules({ extra: flags.rules });
      const { progressBar } = await import('./progress.js');
      const progress = await progressBar({ quiet: flags.quiet === true });
      const result = await analyze({
        paths,
        rules,
        rulePaths: flags.rules,
        since: flags.since,
        until: flags.until,
        sinceEstimated: flags.sinceEstimated === true,
        followSymlinks: flags.followSymlinks === true,
        onWarning: (m) => (progress ? progress.log(`incident-analyser: warning: ${m}\n`) : out.warn(m)),
        onProgress: progress ? (p) => progress.update(p) : undefined,
      }).finally(() => progress?.stop());
      if (flags.db) {
        const { openStore } = await import('../store/store.js');
        const store = openStore(flags.db);
        try {
          store.saveAnalysis(result, { command: 'analyze', paths, startedAt });
        } finally {
          store.close();
        }
      }
      // JSON and the store keep the English texts; reports and console lines are in `lang`
      const shown = localize(result, rules, lang, (m) => out.warn(m));
      // A report folder that cannot be written still gets stdout and the store: report it last.
      let reportError: UserError | undefined;
      if (flags.out) {
        try {
          const written = await writeReportSet(shown, flags.out, lang);
          if (!flags.quiet) {
            process.stderr.write(`incident-analyser: ${t(lang, 'console.wrote', { n: String(written.length), summary: path.join(flags.out, 'summary.md'), dir: `${path.join(flags.out, 'incidents')}/` })}\n`);
          }
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          reportError = err;
        }
      }
      // --quiet silences warnings and the default report, never a format the user asked for
      const explicitFormat = command.getOptionValueSource('format') === 'cli';
      const silent = flags.quiet === true && !explicitFormat;
      // On a terminal, with nothing written and no format asked for: a readable summary, not
      // Markdown whose links point at files that were not written. Pipes keep Markdown.
      if (!silent && !explicitFormat && !flags.out && process.stdout.isTTY === true) {
        const { renderTerminalSummary } = await import('../sinks/terminal-summary.js');
        process.stdout.write(renderTerminalSummary(shown, { color: !process.env.NO_COLOR, lang, tool: { name: 'incident-analyser', version: VERSION } }));
      } else {
        await writeStdout(flags.format === 'json' ? result : shown, flags.format, silent, lang);
      }
      if (reportError) throw reportError;
      if (flags.failOn) {
        const bar = severityRank(flags.failOn);
        if (result.incidents.some((i) => severityRank(i.severity) >= bar)) process.exitCode = 1;
      }
      const sinks = await openSinks(flags, 'batch', (m) => out.warn(m));
      if (sinks) {
        const { recordsForIncidents } = await import('../sinks/change-record.js');
        sinks.push(recordsForIncidents(result.incidents, recordContext(flags)));
        if (!reportOutcomes(await sinks.drain())) process.exitCode = 2;
      }
    });
}

async function writeStdout(result: AnalysisResult, format: 'md' | 'json' | 'text', silent: boolean, lang: Lang): Promise<void> {
  if (silent) return;
  if (format === 'json') {
    process.stdout.write(`${inertJson(JSON.stringify(toJsonDocument(result), null, 2))}\n`);
  } else if (format === 'text') {
    process.stdout.write(renderText(result, { color: process.stdout.isTTY === true && !process.env.NO_COLOR, lang }));
  } else {
    const { renderReports } = await import('../sinks/markdown-report.js');
    const summary = renderReports(result, { tool: { name: 'incident-analyser', version: VERSION }, lang }).summary;
    process.stdout.write(process.stdout.isTTY ? visible(summary) : summary);
  }
}
