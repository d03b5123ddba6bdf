// The command line: argument parsing (commander), output and exit codes. Known user errors
// print one line and exit 2; anything else is a bug: stack, version, exit 2. Exit codes are
// set with process.exitCode so output flushes.
import { Command, CommanderError, Option } from 'commander';
import { UserError } from '../errors.js';
import { visibleLine } from '../text/terminal.js';
import { VERSION } from './common.js';
import { registerAnalyze } from './analyze-command.js';
import { registerRules } from './rules-command.js';
import { registerIncidents } from './incidents-command.js';
import { registerWatch } from './watch-command.js';
import { registerInit } from './init-command.js';
import { registerConfigOptions } from './config-options.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('incident-analyser')
    .description('Find known production failures in Node.js, Next.js, PM2 and Python logs and write the diagnosis.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerAnalyze(program);
  registerWatch(program);
  registerRules(program);
  registerIncidents(program);
  registerInit(program);
  registerConfigOptions(program);
  program.addOption(new Option('--no-color', 'plain output even on a terminal'));
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `incident-analyser … | head`: a closed pipe ends the output, not with a stack trace
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = handleError(err);
  }
}

// By name as well, for errors thrown by a copy of a module loaded twice (each copy has its own class).
const USER_ERRORS = new Set(['UserError', 'RuleError', 'InputError', 'StoreError', 'UsageError', 'OutputError', 'ConfigError']);

export function isUserError(err: unknown): err is Error {
  return err instanceof UserError || (err instanceof Error && USER_ERRORS.has(err.name));
}

function handleError(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version exit 0; commander already printed its message
    return err.exitCode === 0 ? 0 : 2;
  }
  // Known user errors: one line, whatever --quiet says (it hides warnings, never errors).
  if (isUserError(err)) {
    process.stderr.write(`incident-analyser: ${visibleLine(err.message)}\n`);
    return 2;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(
    `incident-analyser ${VERSION} (node ${process.version}): unexpected error — this is a bug, please report it with the lines below.\n${detail}\n`,
  );
  return 2;
}
