// Find what to follow for one PM2 home: the daemon log, every app's out/error/combined log
// (custom `out_file`/`error_file`/`log_file` paths included) and the folders where new files will
// appear. The best source is the running daemon (`pm2 jlist` gives the exact paths, cluster
// `-<pm_id>` suffixes applied); without one, an ecosystem file; without that, the names in logs/.
// Nothing here throws for a missing PM2, home or file: each gap becomes one line in `notes`.
//
// Path rules follow PM2 7 `lib/Common.js` prepareAppConf and `lib/God.js` (error-catalogue §4.2).
import { type ExecFileException, execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { findOnPath } from './find-on-path.js';

export interface Pm2App {
  name: string;
  pmId: number | undefined;
  outFile: string | undefined;
  errorFile: string | undefined;
  logFile: string | undefined;
  pid: number | undefined;
  status: string | undefined;
}

export interface Pm2Discovery {
  /** The resolved PM2 home. */
  home: string;
  /** The home folder exists. */
  exists: boolean;
  /** `$PM2_HOME/pm2.log`, if it exists. */
  daemonLog: string | undefined;
  /** `$PM2_HOME/logs` (may not exist yet). */
  logDir: string;
  /** From `pm2 jlist` when a daemon runs, else from the ecosystem file, else from log file names. */
  apps: Pm2App[];
  /** Every log file to follow (pm2.log first), existing or not; never /dev/null. */
  files: string[];
  /** Folders to watch (not recursively) for files that appear later. */
  watchDirs: string[];
  /** One line per gap or fallback, for the user. */
  notes: string[];
}

export interface DiscoverPm2Options {
  home?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The pm2 binary; default `pm2` found in an absolute folder of PATH. Never the current folder
   * or its node_modules/.bin: whoever can write there would choose what we run.
   */
  pm2Bin?: string;
  ecosystemFile?: string;
  /** Limit for `pm2 jlist` (and the daemon check); default 5000. */
  timeoutMs?: number;
  /** Relative ecosystem paths are resolved here; default process.cwd(). */
  cwd?: string;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** jlist carries every app's full environment: 1 MiB (execFile's default) is too small on busy boxes. */
const JLIST_MAX_BUFFER = 64 * 1024 * 1024;
const APP_LOG_NAME = /^(.+?)-(out|error)(?:-(\d+))?\.log$/;

export async function discoverPm2(options: DiscoverPm2Options = {}): Promise<Pm2Discovery> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const home = path.resolve(options.home ?? env.PM2_HOME ?? path.join(os.homedir(), '.pm2'));
  // paths.js lets PM2_<KEY> variables move single files; they belong to the environment's home,
  // so an explicit `home` ignores them.
  const moved = options.home === undefined ? env : {};
  const daemonLogPath = path.resolve(moved.PM2_LOG_FILE_PATH || path.join(home, 'pm2.log'));
  const logDir = path.resolve(moved.PM2_DEFAULT_LOG_PATH || path.join(home, 'logs'));
  const pidFile = path.resolve(moved.PM2_PID_FILE_PATH || path.join(home, 'pm2.pid'));
  const rpcSocket = path.resolve(moved.PM2_DAEMON_RPC_PORT || path.join(home, 'rpc.sock'));

  const notes: string[] = [];
  const exists = isDir(home);
  if (!exists) notes.push(`PM2 home ${home} does not exist (yet): PM2 has not run as this user, or PM2_HOME points elsewhere`);

  let apps: Pm2App[] | undefined;
  const daemon = exists ? await daemonRunning(pidFile, rpcSocket, Math.min(timeoutMs, 1000)) : { running: false, why: '' };
  if (daemon.running) {
    const listed = await pm2Jlist({ home, env, bin: options.pm2Bin, timeoutMs });
    if (typeof listed === 'string') notes.push(listed);
    else apps = listed;
  } else if (exists) {
    // Every pm2 CLI command (even `pm2 --version`) spawns a daemon when none answers.
    notes.push(`no PM2 daemon running for ${home} (${daemon.why}): skipped \`pm2 jlist\`, which would start one`);
  }

  if (apps === undefined && options.ecosystemFile !== undefined) {
    const read = await readEcosystem(path.resolve(options.cwd ?? process.cwd(), options.ecosystemFile), logDir);
    if (typeof read === 'string') notes.push(read);
    else {
      apps = read;
      notes.push(`apps from the ecosystem file ${options.ecosystemFile} (${apps.length}): cluster instances' -<pm_id> files are found on disk`);
    }
  }

  const scanned = liveLogs(logDir);
  if (apps === undefined) {
    apps = appsFromLogNames(scanned);
    notes.push(`apps inferred from the file names in ${logDir} (${apps.length} found)`);
  }

  const files = unique([daemonLogPath, ...apps.flatMap(appFiles), ...apps.flatMap(clusterSiblings), ...scanned]);
  return {
    home,
    exists,
    daemonLog: fs.existsSync(daemonLogPath) ? daemonLogPath : undefined,
    logDir,
    apps,
    files,
    watchDirs: unique([logDir, ...files.map((f) => path.dirname(f))]),
    notes,
  };
}

/** PM2's file-name form of an app name (Common.js; the backslash surviving is PM2's own quirk). */
export function sanitiseAppName(name: string): string {
  return name.replace(/[^a-zA-Z0-9\\.\\-]/g, '-');
}

/** Paths PM2 treats as "no file": the stream is discarded. */
function followable(p: string | undefined): p is string {
  return p !== undefined && p !== '' && p !== 'NULL' && p !== '/dev/null' && p !== '\\\\.\\NUL';
}

function appFiles(app: Pm2App): string[] {
  return [app.outFile, app.errorFile, app.logFile].filter(followable);
}

// ---------------------------------------------------------------------------------------------
// Daemon check and `pm2 jlist`

interface DaemonState {
  running: boolean;
  why: string;
}

/**
 * Is a daemon answering on this home's RPC socket? The pid file alone is not enough: a crashed
 * daemon leaves it behind and its pid may be reused. Connecting is what pm2's own pingDaemon
 * does, so when this says yes, `pm2 jlist` connects instead of spawning.
 */
async function daemonRunning(pidFile: string, rpcSocket: string, timeoutMs: number): Promise<DaemonState> {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return { running: false, why: 'no pm2.pid' };
  }
  if (!Number.isInteger(pid) || pid <= 0) return { running: false, why: 'unreadable pm2.pid' };
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, owned by another user; the socket check below decides.
    if (!(err instanceof Error && 'code' in err && err.code === 'EPERM')) {
      return { running: false, why: `stale pm2.pid: process ${pid} is gone` };
    }
  }
  const answered = await new Promise<string | undefined>((resolve) => {
    const socket = net.connect(rpcSocket);
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done('rpc.sock did not answer in time'), timeoutMs);
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`rpc.sock: ${err.code ?? err.message}`));
  });
  return answered === undefined ? { running: true, why: '' } : { running: false, why: answered };
}

interface RunResult {
  error: ExecFileException | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: JLIST_MAX_BUFFER, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    );
  });
}

/** The apps the daemon knows, or a note saying why not. */
async function pm2Jlist(o: {
  home: string;
  env: NodeJS.ProcessEnv;
  bin: string | undefined;
  timeoutMs: number;
}): Promise<Pm2App[] | string> {
  const bin = o.bin !== undefined ? path.resolve(o.bin) : findOnPath('pm2', o.env.PATH);
  if (bin === undefined) return 'pm2 not found on PATH (--pm2-bin names it): no `pm2 jlist`';
  const r = await run(bin, ['jlist'], { ...o.env, PM2_HOME: o.home }, o.timeoutMs);
  if (r.error?.code === 'ENOENT') return `pm2 binary ${bin} not found: no \`pm2 jlist\``;
  if (r.error?.killed === true) return `\`${bin} jlist\` timed out after ${o.timeoutMs} ms`;
  if (r.error) return `\`${bin} jlist\` failed (${firstLine(r.stderr) || r.error.message})`;
  const list = parseJlist(r.stdout);
  if (list === undefined) return `\`${bin} jlist\` printed no JSON process list`;
  return list.flatMap((p) => jlistApp(p) ?? []);
}


/**
 * The JSON array in jlist's output. The CLI may print warnings first (`[PM2][WARN] ...`, which
 * also start with `[`) or after (its version-mismatch banner is asynchronous), so try each `[`
 * that opens an array of objects against each `]` that ends a line.
 */
export function parseJlist(stdout: string): unknown[] | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < stdout.length; i++) {
    const c = stdout[i];
    if (c === '[' && /^\[\s*[{\]]/.test(stdout.slice(i, i + 64))) starts.push(i);
    else if (c === ']' && (i + 1 === stdout.length || /[\r\n]/.test(stdout[i + 1] ?? ''))) ends.push(i);
  }
  for (const s of starts) {
    for (let j = ends.length - 1; j >= 0; j--) {
      const e = ends[j] ?? -1;
      if (e < s) break;
      try {
        const v: unknown = JSON.parse(stdout.slice(s, e + 1));
        if (Array.isArray(v)) return v;
      } catch {
        // not this pair
      }
    }
  }
  return undefined;
}

function jlistApp(p: unknown): Pm2App | undefined {
  if (!isRecord(p)) return undefined;
  const e = isRecord(p.pm2_env) ? p.pm2_env : {};
  const name = str(p.name) ?? str(e.name);
  if (name === undefined) return undefined;
  const pid = int(p.pid);
  return {
    name,
    pmId: int(p.pm_id) ?? int(e.pm_id),
    outFile: followableOrUndefined(str(e.pm_out_log_path)),
    errorFile: followableOrUndefined(str(e.pm_err_log_path)),
    logFile: followableOrUndefined(str(e.pm_log_path)),
    // A stopped app reports pid 0.
    pid: pid !== undefined && pid > 0 ? pid : undefined,
    status: str(e.status),
  };
}

// ---------------------------------------------------------------------------------------------
// Ecosystem file

/** The apps an ecosystem file declares, or a note saying why it could not be read. */
async function readEcosystem(file: string, logDir: string): Promise<Pm2App[] | string> {
  let config: unknown;
  try {
    // Only JavaScript is run (PM2 itself runs it): any other file is read as data. YAML reads JSON too.
    const ext = path.extname(file).toLowerCase();
    if (ext === '.js' || ext === '.cjs' || ext === '.mjs') config = await importFresh(file);
    else if (ext === '.json') config = JSON.parse(fs.readFileSync(file, 'utf8'));
    else config = parseYaml(fs.readFileSync(file, 'utf8'), { maxAliasCount: 100 });
  } catch (err) {
    return `could not read ecosystem file ${file} (${err instanceof Error ? firstLine(err.message) : String(err)})`;
  }
  const list = isRecord(config) && Array.isArray(config.apps) ? config.apps : Array.isArray(config) ? config : isRecord(config) ? [config] : [];
  const apps = list.flatMap((a) => ecosystemApp(a, path.dirname(file), logDir) ?? []);
  if (apps.length === 0) return `ecosystem file ${file} declares no apps`;
  return apps;
}

const localRequire = createRequire(import.meta.url);

/**
 * import() a .js/.cjs/.mjs config. Node caches modules by URL, and CommonJS files also by path in
 * require.cache (a `?v=` query alone does not reload them — measured), so drop both to see edits
 * when watch mode re-discovers.
 */
async function importFresh(file: string): Promise<unknown> {
  const st = fs.statSync(file);
  delete localRequire.cache[file];
  const ns: unknown = await import(`${pathToFileURL(file).href}?mtime=${st.mtimeMs}`);
  return isRecord(ns) && ns.default !== undefined ? ns.default : ns;
}

function ecosystemApp(a: unknown, configDir: string, logDir: string): Pm2App | undefined {
  if (!isRecord(a)) return undefined;
  const script = str(a.script);
  const name = str(a.name) ?? (script !== undefined ? path.basename(script, path.extname(script)) : undefined);
  if (name === undefined) return undefined;
  const fileName = sanitiseAppName(name);
  // PM2 resolves custom paths against the app's cwd, else the shell's cwd when `pm2 start` ran;
  // people run it next to the ecosystem file, so that folder stands in for the shell's cwd.
  const cwdValue = str(a.cwd);
  const base = cwdValue !== undefined ? path.resolve(configDir, expandHome(cwdValue)) : configDir;
  const custom = (value: string): string | undefined =>
    value === 'NULL' || value === '/dev/null' ? undefined : path.resolve(base, expandHome(value));
  const out = str(a.out_file ?? a.out ?? a.output ?? a.out_log);
  const err = str(a.error_file ?? a.error ?? a.err ?? a.err_file ?? a.err_log);
  const log = a.log_file ?? a.log;
  return {
    name,
    pmId: undefined,
    outFile: out ? custom(out) : path.join(logDir, `${fileName}-out.log`),
    errorFile: err ? custom(err) : path.join(logDir, `${fileName}-error.log`),
    logFile: log === true ? path.join(logDir, `${fileName}.log`) : typeof log === 'string' && log ? custom(log) : undefined,
    pid: undefined,
    status: undefined,
  };
}

/**
 * Cluster instances without merge_logs write `<stem>-<pm_id>.log` (God.js replaces
 * `/-[0-9]+\.log$|\.log$/`). Without the daemon the ids are unknown: take the ones on disk;
 * later ones show up in watchDirs.
 */
function clusterSiblings(app: Pm2App): string[] {
  if (app.pmId !== undefined) return [];
  const out: string[] = [];
  for (const f of appFiles(app)) {
    if (!f.endsWith('.log')) continue;
    const dir = path.dirname(f);
    const stem = path.basename(f).replace(/-[0-9]+\.log$|\.log$/, '');
    const sibling = new RegExp(`^${escapeRegExp(stem)}-\\d+\\.log$`);
    for (const name of listDir(dir)) if (sibling.test(name)) out.push(path.join(dir, name));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The log folder alone

/** Live `.log` files in the folder (pm2-logrotate's `__<date>` copies are the tailer's business). */
function liveLogs(dir: string): string[] {
  return listDir(dir)
    .filter((n) => n.endsWith('.log') && !n.includes('__'))
    .sort()
    .map((n) => path.join(dir, n));
}

/** `api-out.log` + `api-error.log` → api; `web-out-0.log` → web, pm_id 0; `api.log` → api's combined log. */
export function appsFromLogNames(files: string[]): Pm2App[] {
  const apps = new Map<string, Pm2App>();
  for (const file of files) {
    const base = path.basename(file);
    const m = APP_LOG_NAME.exec(base);
    const name = m ? (m[1] ?? base) : base.replace(/\.log$/, '');
    const pmId = m?.[3] !== undefined ? Number(m[3]) : undefined;
    const key = `${name}\u0000${pmId ?? ''}`;
    let app = apps.get(key);
    if (!app) {
      app = { name, pmId, outFile: undefined, errorFile: undefined, logFile: undefined, pid: undefined, status: undefined };
      apps.set(key, app);
    }
    if (m?.[2] === 'out') app.outFile = file;
    else if (m?.[2] === 'error') app.errorFile = file;
    else app.logFile = file;
  }
  return [...apps.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.pmId ?? -1) - (b.pmId ?? -1));
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

function followableOrUndefined(p: string | undefined): string | undefined {
  return followable(p) ? p : undefined;
}

function expandHome(p: string): string {
  return p.startsWith('~') ? path.join(os.homedir(), p.slice(1)) : p;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.trim() ?? '';
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
