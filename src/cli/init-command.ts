// `incident-analyser init`: write a commented configuration file from what is on this machine
// (the PM2 home, its apps and their log paths). Never replaces an existing file unless asked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './common.js';

interface InitFlags {
  pm2?: string;
  user?: boolean;
  force?: boolean;
  stdout?: boolean;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented incident-analyser.yaml from what is found here (PM2 home, apps, log paths)')
    .option('--pm2 <home>', 'the PM2 home to look at (default $PM2_HOME or ~/.pm2)')
    .option('--user', 'write ~/.config/incident-analyser/config.yaml instead of ./incident-analyser.yaml')
    .option('--force', 'replace an existing file')
    .option('--stdout', 'print the file instead of writing it')
    .action(async (flags: InitFlags) => {
      const [{ discoverPm2 }, { LOCAL_CONFIG, loadConfig, userConfigPath }] = await Promise.all([
        import('../sources/pm2-discovery.js'),
        import('../config/load-config.js'),
      ]);
      const found = await discoverPm2({ home: flags.pm2 });
      const text = renderConfig({
        pm2Home: found.exists ? found.home : undefined,
        // `pm2: true` means $PM2_HOME or ~/.pm2 at run time; a home found through $PM2_HOME is written out,
        // since a service may not have that variable
        defaultHome: path.join(os.homedir(), '.pm2'),
        logDir: found.logDir,
        apps: found.apps.map((a) => ({ name: a.name, files: [a.outFile, a.errorFile].filter((f): f is string => f !== undefined) })),
        notes: found.notes,
      });
      if (flags.stdout) {
        process.stdout.write(text);
        return;
      }
      const file = flags.user ? userConfigPath() : path.resolve(LOCAL_CONFIG);
      if (fs.existsSync(file) && !flags.force) throw new UsageError(`${file} already exists; --force replaces it (or --stdout prints the new one)`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // written beside and renamed: a failed write never leaves half a file
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      try {
        loadConfig(tmp); // what init writes must load
        fs.renameSync(tmp, file);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      process.stderr.write(`incident-analyser: wrote ${file}${found.exists ? ` (PM2 home ${found.home}, ${found.apps.length} app(s))` : ' (no PM2 home found)'}\n`);
    });
}

export interface InitFacts {
  pm2Home: string | undefined;
  defaultHome: string;
  logDir: string;
  apps: Array<{ name: string; files: string[] }>;
  notes: string[];
}

/** Values read from the machine are quoted as JSON strings (valid YAML) and comments lose control characters. */
export function renderConfig(f: InitFacts): string {
  const q = (s: string): string => JSON.stringify(s);
  const c = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  const lines: string[] = [
    '# incident-analyser configuration (written by `incident-analyser init`).',
    '# Command-line options override these values; unknown keys are errors.',
    '# Relative paths are relative to this file. Schema: schema/config.schema.json in the package.',
    '',
    'watch:',
  ];
  const custom = [...new Set(f.apps.flatMap((a) => a.files).filter((file) => path.dirname(file) !== f.logDir))];
  if (f.pm2Home) {
    lines.push(`  # PM2 home found: ${c(f.pm2Home)}; its daemon log and every app's out/error log are followed.`);
    lines.push(f.pm2Home === f.defaultHome ? '  pm2: true' : `  pm2: ${q(f.pm2Home)}`);
    if (f.apps.length > 0) {
      lines.push('  # Apps seen:');
      for (const a of f.apps) lines.push(`  #   ${c(a.name)}: ${a.files.map(c).join(', ') || '(logs in the PM2 log folder)'}`);
    }
  } else {
    lines.push('  # No PM2 home found here; `pm2: true` follows $PM2_HOME or ~/.pm2 once PM2 runs.');
    lines.push('  # pm2: true');
  }
  for (const n of f.notes) lines.push(`  # note: ${c(n)}`);
  if (custom.length > 0) {
    lines.push('  # Log files outside the PM2 log folder (custom out_file/error_file):');
    lines.push('  paths:');
    for (const file of custom) lines.push(`    - ${q(file)}`);
  } else {
    lines.push('  # Other files, folders or globs to follow:');
    lines.push('  # paths: ["./logs", "/var/log/myapp/*.log"]');
  }
  lines.push(
    '  # Look for duplicate dev servers and watchers in the process table this often:',
    '  # ps_interval: 10s',
    '  # Apps that log to the systemd journal (true: all of it this user may read):',
    '  # journald: [shop-api, pm2-deploy]',
    '',
    '# Extra rule folders (same id replaces a built-in rule):',
    '# rules: ["./rules"]',
    '',
    '# Where watch, report and incidents keep state (default ~/.local/state/incident-analyser/watch.db):',
    '# store: /var/lib/incident-analyser/watch.db',
    '',
    '# Markdown reports, rewritten as incidents change:',
    '# out: ./incident-reports',
    '',
    '# Report language: en or zh',
    '# lang: en',
    '',
    "# The host label of alerts and change records (default: this machine's host name):",
    '# host: web-1',
    '',
    '# Where incidents go beyond this box. Alertmanager does dedup across hosts, grouping, routing,',
    '# silences and on-call; list both of an HA pair.',
    '# sinks:',
    '#   alertmanager:',
    '#     urls: ["http://alertmanager-1:9093", "http://alertmanager-2:9093"]',
    '#     runbook_url: https://wiki.example.com/incidents/',
    '#     resend_interval: 60s',
    '#   webhook:',
    '#     urls: ["https://bridge.example.com/hooks/incidents"]',
    '',
    '# Changes not sent to sinks (still detected, stored and printed):',
    '# silences:',
    '#   - rule: duplicate-process',
    '#     service: workbot',
    '#     until: 2027-01-31T00:00:00Z',
    '#     comment: two copies on purpose during the migration (ana)',
    '',
  );
  return `${lines.join('\n')}`;
}
