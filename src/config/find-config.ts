// Finding the configuration file: `--config <file>`, else `incident-analyser.yaml` in the working
// folder, else `$XDG_CONFIG_HOME/incident-analyser/config.yaml` (~/.config/...). Kept apart from
// the reader so a run without a file loads neither yaml nor zod.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCAL_CONFIG = 'incident-analyser.yaml';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'incident-analyser', 'config.yaml');
}

/** The file that applies, or undefined when there is none (and none was asked for). */
export function findConfig(explicit: string | undefined, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return explicit;
  for (const candidate of [path.join(cwd, LOCAL_CONFIG), userConfigPath(env)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

