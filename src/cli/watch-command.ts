// `incident-analyser watch <paths...>`: follow logs as they are written, print one line per
// incident opened, escalated or resolved, keep reports and the store current. Exits 0 on
// SIGINT/SIGTERM after flushing positions and incidents; never exits because of input.
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import pc from 'picocolors';
import type { Incident, IncidentChangeKind, Lang, OutboxEntry } from '../model.js';
import { loadRules } from '../rules/load-rules.js';

import { resultFromIncidents } from '../pipeline/stored-result.js';
import { inertJson, visibleLine } from '../text/terminal.js';


import { UserError } from '../errors.js';
import type { Store } from '../store/store.js';
import { collect, defaultStatePath, makeOutput, UsageError, type Output } from './common.js';
import { checkOutDir, writeReportSet } from './report-output.js';
import { addSinkOptions, openSinks, recordContext, reportOutcomes, type SinkFlags } from './sink-options.js';
import { langOption, resolveLang } from './lang.js';
import { localize } from './localize.js';
import type { CompiledRule } from '../rules/types.js';
import { renderIncidentTexts } from '../sinks/incident-text.js';
import { t, type MessageId } from '../sinks/messages.js';
import { severityLabel } from '../sinks/console-text.js';
import { InvalidArgumentError } from 'commander';
import { isStdinPath } from '../sources/discover.js';
import { findOnPath } from '../sources/find-on-path.js';
import type { Source } from '../sources/source.js';
import { StdinSource } from '../sources/stdin-source.js';
import { JournaldSource } from '../sources/journald-source.js';
import { UNIT_NAME } from '../text/unit-name.js';

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0');
  return n;
}

interface WatchFlags extends SinkFlags {
  db?: string;
  rules: string[];
  out?: string;
  format: 'text' | 'json';
  fromStart?: boolean;
  quiet?: boolean;
  trace?: boolean;
  pollInterval: string;
  flushInterval?: string;
  checkpointInterval: string;
  pm2?: string | boolean;
  pm2Bin?: string;
  ecosystem?: string;
  followSymlinks?: boolean;
  psInterval?: number;
  lang?: Lang;
  service?: string;
  journald?: string[] | boolean;
}

export { defaultStatePath };

type ShownChange = Exclude<IncidentChangeKind, 'linked'>;

const CHANGE_LABEL: Record<ShownChange, MessageId> = {
  opened: 'console.change.opened',
  updated: 'console.change.updated',
  escalated: 'console.change.escalated',
  resolved: 'console.change.resolved',
};

const plain = visibleLine;

export function incidentChangeLine(incident: Incident, change: ShownChange, color: boolean, lang: Lang = 'en'): string {
  const label = t(lang, CHANGE_LABEL[change]).padEnd(lang === 'en' ? 9 : 4);
  const sev = severityLabel(incident.severity, lang);
  const paint = (s: string): string => {
    if (!color) return s;
    if (change === 'resolved') return pc.green(s);
    return incident.severity === 'critical' || incident.severity === 'error' ? pc.red(s) : pc.yellow(s);
  };
  const summary = plain(incident.summary.split('\n')[0] ?? '').slice(0, 160);
  return `${new Date().toISOString()} ${paint(label)} ${paint(sev)} ${plain(incident.rule)}  ${plain(incident.services.join(','))}  ×${incident.count}  ${incident.id}  ${summary}`;
}

/**
 * Rewrites the reports of the incidents that changed (the summary lists all). A folder that
 * cannot be written (a full disk) is said once, not every second, and watching goes on; the
 * pages not written are kept for the next checkpoint, and a recovery is said too.
 */
function reportWriter(dir: string, store: Store, out: Output, language: { rules: CompiledRule[]; lang: Lang }): (changed: ReadonlySet<string>) => Promise<void> {
  let failing: string | undefined;
  const pending = new Set<string>();
  return async (changed) => {
    for (const id of changed) pending.add(id);
    if (pending.size === 0) return;
    try {
      // stored incidents keep English texts; the reports are written in the chosen language
      const stored = resultFromIncidents(store.listIncidents());
      await writeReportSet(localize(stored, language.rules, language.lang, () => {}), dir, language.lang, pending);
      if (failing !== undefined) out.warn(`reports in ${dir} are up to date again`);
      failing = undefined;
      pending.clear();
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      if (err.message !== failing) out.warn(`${err.message}; still watching, the reports will be written when possible`);
      failing = err.message;
    }
  };
}

/** Changes worth a console line and an alert. */
function notable(kind: IncidentChangeKind): kind is 'opened' | 'escalated' | 'resolved' {
  return kind === 'opened' || kind === 'escalated' || kind === 'resolved';
}

export function registerWatch(program: Command): void {
  const cmd = program
    .command('watch')
    .description('follow log files as they are written and report incidents as they open, escalate and resolve')
    .argument('[paths...]', 'log files, folders or globs (quote them); paths that do not exist yet are waited for; `-` is standard input, read until it ends (a pipe cannot be resumed: lines written while no watcher runs are not seen)')
    .option('--db <file>', `where positions and incidents are kept (default ${defaultStatePath()})`)
    .option('--rules <dir>', 'extra rule folder or file (repeatable)', collect, [])
    .option('-o, --out <dir>', 'keep Markdown reports here, rewritten when an incident changes')
    .addOption(new Option('-f, --format <format>', 'console output: one line per change, or JSON lines').choices(['text', 'json']).default('text'))
    .option('--pm2 [home]', "follow PM2's logs: pm2.log and every app's out/error files ($PM2_HOME or ~/.pm2 by default)")
    .option('--pm2-bin <file>', 'with --pm2: the pm2 program to ask for the app list (default: pm2 from PATH, never from the current folder)')
    .option('--ecosystem <file>', "with --pm2: a PM2 ecosystem file whose apps' out_file/error_file paths to follow too; .json/.yaml files are read as data, a .js/.cjs/.mjs file is EXECUTED (imported), as pm2 does")
    .option('--follow-symlinks', 'follow symbolic links that lead out of the watched folders')
    .option('--ps-interval <seconds>', 'read the process table this often and report duplicate dev servers and watchers', parsePositive)
    .option('--service <name>', 'with `-`: the service of standard input\'s lines that carry no `N|app |` prefix (default: stdin)')
    .option('--journald [units...]', 'follow the systemd journal (`journalctl -o json -f`), of these units or all the user may read; resumes after the saved cursor (put paths before it)')
    .option('--from-start', 'read existing content of files (and the journal) seen for the first time (default: start at their end)')
    .option('-q, --quiet', 'no warnings on stderr')
    .addOption(langOption())
    .addOption(new Option('--trace', 'record every matched event in the store (for tests)').hideHelp())
    .addOption(new Option('--poll-interval <ms>', 'stat followed files this often besides change events').default('1000').hideHelp())
    .addOption(new Option('--flush-interval <ms>', 'close an event that got no continuation line for this long').hideHelp())
    .addOption(new Option('--checkpoint-interval <ms>', 'save positions and incidents this often').default('1000').hideHelp());
  addSinkOptions(cmd)
    .action(async (given: string[], flags: WatchFlags) => {
      let paths = given;
      const out = makeOutput(flags.quiet === true);
      const lang = resolveLang(flags.lang);
      // loaded here, not at start-up: the follower, SQLite and the PM2 helpers serve only this command
      const [{ Watcher }, { openStore, WATCH_CACHE_KIB }, { lockStoreForWatch }, { discoverPm2 }, { toChangeRecord }] = await Promise.all([
        import('../pipeline/watch.js'),
        import('../store/store.js'),
        import('../store/watch-lock.js'),
        import('../sources/pm2-discovery.js'),
        import('../sinks/change-record.js'),
      ]);
      if (flags.pm2) {
        const found = await discoverPm2({ home: typeof flags.pm2 === 'string' ? flags.pm2 : undefined, ecosystemFile: flags.ecosystem, pm2Bin: flags.pm2Bin });
        for (const note of found.notes) out.warn(`pm2: ${note}`);
        if (!found.exists) out.warn(`pm2: ${found.home} does not exist yet; waiting for it`);
        paths = [...paths, ...found.files, found.logDir];
      } else if (flags.ecosystem !== undefined || flags.pm2Bin !== undefined) {
        throw new UsageError(`${flags.ecosystem !== undefined ? '--ecosystem' : '--pm2-bin'} goes with --pm2`);
      }
      checkOutDir(flags.out);
      const readStdin = paths.some(isStdinPath);
      paths = paths.filter((p) => !isStdinPath(p));
      if (readStdin && process.stdin.isTTY) out.warn('reading standard input from the terminal; end it with Ctrl-D');
      if (flags.service !== undefined && !readStdin) throw new UsageError('--service goes with `-` (standard input)');
      let journalctl: string | undefined;
      if (flags.journald) {
        journalctl = findOnPath('journalctl');
        if (journalctl === undefined) throw new UsageError('--journald: journalctl was not found in the absolute folders of PATH');
        for (const u of Array.isArray(flags.journald) ? flags.journald : []) if (!UNIT_NAME.test(u)) throw new UsageError(`--journald: not a unit name: ${JSON.stringify(u)}`);
      }
      if (paths.length === 0 && !flags.psInterval && !readStdin && !flags.journald) throw new UsageError('watch needs at least one path, `-`, --pm2, --journald or --ps-interval');
      const rules = loadRules({ extra: flags.rules });
      const dbPath = flags.db ?? defaultStatePath();
      if (!flags.db) fs.mkdirSync(path.dirname(dbPath), { recursive: true });
      const store = openStore(dbPath, { cacheKiB: WATCH_CACHE_KIB });
      let lock;
      try {
        lock = lockStoreForWatch(store);
      } catch (err) {
        store.close();
        throw err;
      }
      const color = flags.format === 'text' && process.stdout.isTTY === true && !process.env.NO_COLOR;
      const recordCtx = recordContext(flags);
      const sinks = await openSinks(flags, 'watch', (m) => out.warn(m));
      if (sinks) {
        // after a restart, alerts of incidents still open are asserted again at once
        sinks.reassert(store.listIncidents({ status: 'open' }).map((i) => toChangeRecord(i, 'opened', recordCtx)));
        sinks.startResending();
      }
      const writeChanged = flags.out !== undefined ? reportWriter(flags.out, store, out, { rules, lang }) : async (): Promise<void> => {};
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      const extraSources: Source[] = [];
      if (readStdin) extraSources.push(new StdinSource({ service: flags.service ?? 'stdin', onEnd: stop }));
      if (journalctl !== undefined) extraSources.push(new JournaldSource({ journalctl, units: Array.isArray(flags.journald) ? flags.journald : [], fromStart: flags.fromStart === true }));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const watcher = new Watcher({
        paths,
        rules,
        store,
        fromStart: flags.fromStart === true,
        followSymlinks: flags.followSymlinks === true,
        trace: flags.trace === true,
        pollMs: Number(flags.pollInterval),
        flushMs: flags.flushInterval !== undefined ? Number(flags.flushInterval) : undefined,
        psIntervalMs: flags.psInterval !== undefined ? flags.psInterval * 1000 : undefined,
        checkpointMs: Number(flags.checkpointInterval),
        sources: extraSources,
        warn: (m) => out.warn(m),
        signal: controller.signal,
        // said once the starting positions are saved: from then on no line written is missed
        onReady: () => {
          if (flags.quiet) return;
          const named = [...paths, ...(readStdin ? ['standard input'] : []), ...(journalctl !== undefined ? [Array.isArray(flags.journald) ? `journald (${flags.journald.join(', ')})` : 'journald'] : [])];
          const what = named.length > 4 ? `${named.slice(0, 4).join(', ')} and ${named.length - 4} more` : named.join(', ');
          process.stderr.write(`incident-analyser: ${t(lang, 'console.watching', { what: what || t(lang, 'console.processTable'), db: dbPath })}\n`);
        },
        // console lines, report rewrites and alert deliveries drain the store's outbox, each
        // with its own cursor: a change goes out once it is saved, once, across kill -9
        sinks: [
          {
            name: flags.format === 'json' ? 'console-json' : 'console',
            deliver: (entries: OutboxEntry[], ack: (seq: number) => void) => {
              for (const { seq, at, change } of entries) {
                if (notable(change.kind)) {
                  if (flags.format === 'json') process.stdout.write(`${inertJson(JSON.stringify(toChangeRecord(change.incident, change.kind, recordCtx, new Date(at))))}\n`);
                  else {
                    const shown = lang === 'en' ? change.incident : (renderIncidentTexts([change.incident], rules, lang)[0] ?? change.incident);
                    process.stdout.write(`${incidentChangeLine(shown, change.kind, color, lang)}\n`);
                  }
                }
                ack(seq);
              }
            },
          },
          ...(flags.out !== undefined
            ? [{ name: `reports:${path.resolve(flags.out)}`, retryEmpty: true, deliver: (entries: OutboxEntry[]) => writeChanged(new Set(entries.map((e) => e.change.incident.id))) }]
            : []),
          ...(sinks
            ? [
                {
                  // the delivery queue retries on its own; the outbox hands it each change once
                  name: 'alerts',
                  deliver: (entries: OutboxEntry[]) => {
                    const records = entries.flatMap(({ at, change }) => (notable(change.kind) ? [toChangeRecord(change.incident, change.kind, recordCtx, new Date(at))] : []));
                    if (records.length > 0) sinks.push(records);
                  },
                },
              ]
            : []),
        ],
      });
      try {
        await watcher.run();
      } finally {
        // pending deliveries get one more attempt before the process ends
        if (sinks) reportOutcomes(await sinks.close());
        lock.release();
        store.close();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
