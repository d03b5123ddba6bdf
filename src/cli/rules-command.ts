// `rules list`, `rules test <rule-id|file> <log>` (the fail2ban-regex of this tool) and `rules lint`.
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { LogEvent } from '../model.js';
import { loadRuleFile, loadRules } from '../rules/load-rules.js';
import type { CompiledRule } from '../rules/types.js';
import { runExamples } from '../match/examples.js';
import { checkRedos } from '../rules/redos-check.js';
import { Matcher } from '../match/matcher.js';
import { prefilterPasses } from '../parse/prefilter.js';
import { analyze } from '../pipeline/analyze.js';
import { incidentLine } from '../sinks/console-text.js';
import { visibleLine } from '../text/terminal.js';
import { collect, makeOutput, unknownRule, UsageError } from './common.js';
import { langOption, resolveLang } from './lang.js';
import type { Lang } from '../model.js';
import { ruleTexts } from '../sinks/incident-text.js';

const SHOW_LINES = 20;

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/[\t\n\r]+/g, ' ');
  return visibleLine(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('list, test and lint detection rules');

  rules
    .command('list')
    .description('list the rules in force: id, severity, title, source file')
    .option('--rules <dir>', 'extra rule folder or file (repeatable)', collect, [])
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(langOption())
    .action((flags: { rules: string[]; format: 'text' | 'json'; lang?: Lang }) => {
      const loaded = loadRules({ extra: flags.rules });
      const lang = resolveLang(flags.lang);
      if (flags.format === 'json') {
        const list = loaded.map((r) => ({ id: r.spec.id, severity: r.spec.severity, title: r.spec.title, file: relative(r.file), builtin: r.builtin, overrides: r.overrides ? relative(r.overrides) : undefined }));
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const idWidth = Math.max(...loaded.map((r) => r.spec.id.length), 2);
      for (const r of loaded) {
        const note = r.overrides ? ` (replaces ${relative(r.overrides)})` : '';
        process.stdout.write(`${r.spec.id.padEnd(idWidth)}  ${r.spec.severity.padEnd(8)}  ${ruleTexts(r, lang).title}  [${relative(r.file)}]${note}\n`);
      }
    });

  rules
    .command('test')
    .description("run one rule over a log: matched lines with captures, near misses, the rule's own examples, resulting incidents")
    .argument('<rule>', 'a rule id, or the path of a rule file')
    .argument('<log...>', 'log files, folders or globs')
    .option('--rules <dir>', 'extra rule folder or file (repeatable)', collect, [])
    .option('-q, --quiet', 'no input warnings')
    .action(async (ruleArg: string, logs: string[], flags: { rules: string[]; quiet?: boolean }) => {
      const rule = resolveRule(ruleArg, flags.rules);
      const out = makeOutput(flags.quiet === true);
      const prefilter = new Matcher([rule]).prefilter;
      const matched: Array<{ event: LogEvent; captures: Record<string, string> }> = [];
      const nearMisses: LogEvent[] = [];
      let nearMissCount = 0;
      const hitsLiteral = (raw: string): boolean => prefilterPasses(prefilter, raw);
      const result = await analyze({
        paths: logs,
        rules: [rule],
        onWarning: (m) => out.warn(m),
        onEvaluated: (event, matches) => {
          const m = matches[0];
          if (m) matched.push({ event, captures: m.captures });
          else if (event.kind === 'log' && hitsLiteral(event.raw)) {
            nearMissCount++;
            if (nearMisses.length < SHOW_LINES) nearMisses.push(event);
          }
        },
      });
      const w = (s: string): boolean => process.stdout.write(`${s}\n`);
      w(`Rule ${rule.spec.id} (${rule.spec.severity}) from ${relative(rule.file)}`);
      w(`Read ${result.stats.files} file(s), ${result.stats.lines} lines, ${result.stats.events} events.`);
      w('');
      w(`Matched: ${matched.length} event(s)`);
      for (const { event, captures } of matched.slice(0, SHOW_LINES)) {
        const caps = Object.entries(captures)
          .filter(([k]) => k !== 'service' || captures.service !== event.service)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ');
        w(`  ${event.file}:${event.line}  ${oneLine(event.text.split('\n')[0] ?? '')}`);
        w(visibleLine(`      service=${JSON.stringify(captures.service ?? event.service)} ${caps}`));
      }
      if (matched.length > SHOW_LINES) w(`  … ${matched.length - SHOW_LINES} more`);
      w('');
      w(`Near misses (contain the rule's literal text but no pattern matched, or an exclude vetoed): ${nearMissCount}`);
      for (const event of nearMisses) w(`  ${event.file}:${event.line}  ${oneLine(event.text.split('\n')[0] ?? '')}`);
      if (nearMissCount > nearMisses.length) w(`  … ${nearMissCount - nearMisses.length} more`);
      w('');
      const examples = runExamples(rule);
      const failed = examples.filter((e) => !e.ok);
      w(`Rule examples: ${examples.length - failed.length} of ${examples.length} pass`);
      for (const e of failed) w(`  FAIL (${e.expected}${e.prefilterHit === false ? ', prefilter misses it' : ''}): ${oneLine(e.text)}`);
      w('');
      w(`Incidents: ${result.incidents.length}`);
      for (const i of result.incidents) w(`  ${incidentLine(i, false)}`);
      if (failed.length > 0) process.exitCode = 1;
    });

  rules
    .command('lint')
    .description("validate rule files and run every rule's examples")
    .argument('[paths...]', 'rule folders or files to check in addition to the built-in rules')
    .action((paths: string[]) => {
      const loaded = loadRules({ extra: paths });
      const ids = new Set(loaded.map((r) => r.spec.id));
      let problems = 0;
      const report = (r: CompiledRule, msg: string, line?: number): void => {
        problems++;
        process.stdout.write(`${relative(r.file)}${line ? `:${line}` : ''}: ${r.spec.id}: ${msg}\n`);
      };
      for (const r of loaded) {
        for (const e of runExamples(r)) {
          if (!e.ok) report(r, `example expected to ${e.expected === 'match' ? 'match' : 'not match'}${e.prefilterHit === false ? ' (the prefilter misses it)' : ''}: ${oneLine(e.text)}`);
        }
        r.patterns.forEach((p, i) => {
          if (p.source === 'log' && !p.literals) report(r, `match.${i} has no literal of 4+ characters: every event must be parsed for it (slow on large logs)`, r.lineOf?.(['match', i, 'regex']));
        });
        for (const c of r.spec.caused_by) if (!ids.has(c)) report(r, `caused_by names unknown rule "${c}"`);
        if (!r.builtin) lintBacktracking(r, report);
        // shipped rules are written in both languages; a user rule may be English only
        if (r.builtin && r.texts.zh === undefined) report(r, 'no zh: block: a built-in rule carries its texts in Chinese too (docs/rules.md#chinese-texts)');
      }
      const englishOnly = loaded.filter((r) => !r.builtin && r.texts.zh === undefined).map((r) => r.spec.id);
      if (englishOnly.length > 0) {
        process.stdout.write(`note: ${englishOnly.join(', ')}: no zh: block; reports in Chinese (--lang zh) describe ${englishOnly.length === 1 ? 'its' : 'their'} incidents in English\n`);
      }
      process.stdout.write(`${loaded.length} rule(s) checked, ${problems} problem(s)\n`);
      if (problems > 0) process.exitCode = 1;
    });
}

/** Super-linear patterns of a user rule (built-in ones are checked by the test suite). */
function lintBacktracking(r: CompiledRule, report: (r: CompiledRule, msg: string, line?: number) => void): void {
  const patterns: Array<{ where: Array<string | number>; source: string; flags: string }> = [
    ...r.spec.match.map((p, i) => ({ where: ['match', i, 'regex'], source: p.regex, flags: p.flags ?? '' })),
    ...r.spec.exclude.map((source, i) => ({ where: ['exclude', i], source, flags: '' })),
  ];
  for (const { where, source, flags } of patterns) {
    const found = checkRedos(source, flags);
    if (!found) continue;
    const line = r.lineOf?.(where);
    if (found === 'unknown') {
      process.stdout.write(`${relative(r.file)}${line ? `:${line}` : ''}: ${r.spec.id}: note: ${where.join('.')}: backtracking not decided within 3 s (it runs in linear time here all the same)\n`);
      continue;
    }
    const hot = found.hotspot ? ` at \`${found.hotspot}\`` : '';
    report(
      r,
      `${where.join('.')}: ${found.complexity} backtracking${hot}, e.g. on ${found.attack}: a backtracking engine (grep -P, JavaScript, Python) hangs on such a line. It runs in linear time here (RE2), but simplify it: no nested or adjacent overlapping quantifiers ((a+)+ is a+)`,
      line,
    );
  }
}

function resolveRule(arg: string, extra: string[]): CompiledRule {
  if (/\.ya?ml$/i.test(arg) || (fs.existsSync(arg) && fs.statSync(arg).isFile())) return loadRuleFile(arg);
  const rules = loadRules({ extra });
  const found = rules.find((r) => r.spec.id === arg);
  if (!found) throw unknownRule(arg, rules.map((r) => r.spec.id));
  return found;
}
