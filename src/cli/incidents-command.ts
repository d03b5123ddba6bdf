// `incidents list` and `report --out <dir>`: read the store (`--db`, by default the one `watch` keeps).
import { Option, type Command } from 'commander';
import type { AnalysisResult, Incident, Lang, Severity } from '../model.js';
import { resultFromIncidents } from '../pipeline/stored-result.js';
import { toJsonDocument } from '../sinks/json.js';
import { renderText } from '../sinks/console-text.js';
import { inertJson, visible } from '../text/terminal.js';
import { loadRules } from '../rules/load-rules.js';
import { defaultStatePath, makeOutput, parseSeverity, parseTimeArg, unknownRule, VERSION } from './common.js';
import { checkOutDir, writeReportSet } from './report-output.js';
import { addSinkOptions, openSinks, recordContext, reportOutcomes, type SinkFlags } from './sink-options.js';
import { langOption, resolveLang } from './lang.js';
import { t } from '../sinks/messages.js';

interface ListFlags {
  db: string;
  format: 'json' | 'md' | 'text';
  rule?: string;
  minSeverity?: Severity;
  status?: 'open' | 'resolved';
  since?: number;
  until?: number;
  out?: string;
  lang?: Lang;
}

/** Stored incidents keep English texts; another language is rendered from the built-in rules. */
async function inLanguage(result: AnalysisResult, lang: Lang): Promise<AnalysisResult> {
  if (lang === 'en') return result;
  const [{ loadRules }, { localize }] = await Promise.all([import('../rules/load-rules.js'), import('./localize.js')]);
  return localize(result, loadRules(), lang, (m) => makeOutput(false).warn(m));
}

async function readIncidents(flags: ListFlags): Promise<Incident[]> {
  const { openStore } = await import('../store/store.js');
  const store = openStore(flags.db, { readonly: true });
  try {
    if (flags.rule !== undefined) {
      // an unknown id would list nothing and look like "all clear": it is a usage error
      const known = new Set([...loadRules().map((r) => r.spec.id), ...store.ruleIds()]);
      if (!known.has(flags.rule)) throw unknownRule(flags.rule, known, ` among the built-in rules or the incidents in ${flags.db}`);
    }
    return store.listIncidents({
      rule: flags.rule,
      minSeverity: flags.minSeverity,
      status: flags.status,
      since: flags.since !== undefined ? new Date(flags.since) : undefined,
      until: flags.until !== undefined ? new Date(flags.until) : undefined,
    });
  } finally {
    store.close();
  }
}

function filterOptions(cmd: Command): Command {
  return cmd
    .option('--db <file>', `the SQLite store written by watch or analyze --db (default ${defaultStatePath()})`, defaultStatePath())
    .option('--rule <id>', 'only this rule')
    .option('--min-severity <severity>', 'only at or above this severity', parseSeverity)
    .addOption(new Option('--status <status>', 'only open or resolved incidents').choices(['open', 'resolved']))
    .option('--since <time>', 'only incidents seen after this ISO time or duration ago', parseTimeArg)
    .option('--until <time>', 'only incidents seen before this ISO time or duration ago', parseTimeArg)
    .addOption(langOption());
}

export function registerIncidents(program: Command): void {
  const incidents = program.command('incidents').description('read incidents kept in a store');
  filterOptions(incidents.command('list').description('list stored incidents'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['json', 'md', 'text']).default('text'))
    .action(async (flags: ListFlags) => {
      const stored = resultFromIncidents(await readIncidents(flags), flags.db);
      const lang = resolveLang(flags.lang);
      if (flags.format === 'json') process.stdout.write(`${inertJson(JSON.stringify(toJsonDocument(stored), null, 2))}\n`);
      else if (flags.format === 'md') {
        const { renderReports } = await import('../sinks/markdown-report.js');
        const summary = renderReports(await inLanguage(stored, lang), { tool: { name: 'incident-analyser', version: VERSION }, lang }).summary;
        process.stdout.write(process.stdout.isTTY ? visible(summary) : summary);
      }
      else process.stdout.write(renderText(await inLanguage(stored, lang), { color: process.stdout.isTTY === true && !process.env.NO_COLOR, lang }));
    });

  const report = filterOptions(program.command('report').description('write Markdown reports for stored incidents'))
    .requiredOption('-o, --out <dir>', 'folder for summary.md and incidents/<id>.md');
  addSinkOptions(report)
    .action(async (flags: ListFlags & SinkFlags) => {
      checkOutDir(flags.out);
      const stored = resultFromIncidents(await readIncidents(flags), flags.db);
      const lang = resolveLang(flags.lang);
      const written = await writeReportSet(await inLanguage(stored, lang), flags.out ?? '.', lang);
      process.stderr.write(`incident-analyser: ${t(lang, 'console.wroteTo', { n: String(written.length), dir: flags.out ?? '.' })}\n`);
      const sinks = await openSinks(flags, 'batch', (m) => makeOutput(false).warn(m));
      if (sinks) {
        const { recordsForIncidents } = await import('../sinks/change-record.js');
        // alerts and webhooks carry the English texts, like the JSON output
        sinks.push(recordsForIncidents(stored.incidents, recordContext(flags)));
        if (!reportOutcomes(await sinks.drain())) process.exitCode = 2;
      }
    });
}
