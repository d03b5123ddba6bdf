// The configuration file on the command line: `--config <file>` / `--no-config`, and its values
// applied to the running command's options wherever the command line did not set them.
// commander checks required options (report's --db, --out) before the action hooks, so plain
// values are set before the subcommand parses its options (the command line then overwrites
// them); repeatable options (--rules, --alertmanager, …) would append the command line to the
// configured list, so they are set after parsing, and only when the command line gave none.
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config/config-schema.js';
import { parseDuration } from '../rules/duration.js';

type Loaded = { file: string; config: Config } | undefined;

export function registerConfigOptions(program: Command): void {
  program
    .option('--config <file>', `configuration file (default: ./incident-analyser.yaml, else ~/.config/incident-analyser/config.yaml)`)
    .option('--no-config', 'read no configuration file');
  let loaded: Loaded | null = null;
  const load = async (): Promise<Loaded> => {
    if (loaded !== null) return loaded;
    const flag: unknown = program.opts().config;
    if (flag === false) return (loaded = undefined);
    const { findConfig } = await import('../config/find-config.js');
    const file = findConfig(typeof flag === 'string' ? flag : undefined);
    loaded = file ? { file, config: (await import('../config/load-config.js')).loadConfig(file) } : undefined;
    return loaded;
  };
  const before = async (_parent: Command, sub: Command): Promise<void> => {
    if (sub.commands.length > 0 || sub.name() === 'init') return;
    const found = await load();
    if (found) apply(sub, configValues(found, sub.name()), false);
  };
  program.hook('preSubcommand', before);
  for (const c of program.commands) if (c.commands.length > 0) c.hook('preSubcommand', before);
  program.hook('preAction', async (_program, action) => {
    if (action.name() === 'init') return;
    const found = await load();
    if (!found) return;
    apply(action, configValues(found, action.name()), true);
    const paths = found.config.watch?.paths;
    const first = action.processedArgs[0];
    if (action.name() === 'watch' && paths && Array.isArray(first) && first.length === 0) {
      action.processedArgs[0] = paths.map((p) => resolvePath(found.file, p));
    }
  });
}

/** Set each value whose option the command has and the command line did not set. */
function apply(command: Command, values: Record<string, unknown>, arrays: boolean): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || Array.isArray(value) !== arrays) continue;
    const known = key === 'silences' ? command.options.some((o) => o.attributeName() === 'alertmanager') : command.options.some((o) => o.attributeName() === key);
    if (!known) continue;
    const source = command.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') continue;
    command.setOptionValueWithSource(key, value, 'config');
  }
}

function resolvePath(configFile: string, p: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  // relative paths are relative to the file that says them, like docker compose and ESLint
  return path.resolve(path.dirname(configFile), p);
}

/** Option attribute names and values for one command. */
function configValues({ file, config }: { file: string; config: Config }, command: string): Record<string, unknown> {
  const p = (v: string | undefined): string | undefined => (v === undefined ? undefined : resolvePath(file, v));
  const am = config.sinks?.alertmanager;
  const values: Record<string, unknown> = {
    rules: config.rules?.map((r) => resolvePath(file, r)),
    out: p(config.out),
    lang: config.lang,
    host: config.host,
    alertmanager: am?.urls,
    runbookUrl: am?.runbook_url,
    alertResend: am?.resend_interval !== undefined ? durationToSeconds(am.resend_interval) : undefined,
    webhook: config.sinks?.webhook?.urls,
    silences: config.silences ?? undefined,
  };
  // analyze keeps its in-memory default: the store is for the long-lived commands
  if (command !== 'analyze') values.db = p(config.store);
  if (command === 'watch') {
    const w = config.watch;
    values.pm2 = typeof w?.pm2 === 'string' ? resolvePath(file, w.pm2) : w?.pm2;
    values.ecosystem = p(w?.ecosystem);
    values.psInterval = w?.ps_interval !== undefined ? durationToSeconds(w.ps_interval) : undefined;
    values.journald = w?.journald === false ? undefined : w?.journald;
  }
  return values;
}

function durationToSeconds(v: string): number {
  return parseDuration(v) / 1000;
}
