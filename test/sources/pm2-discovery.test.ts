import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appsFromLogNames, discoverPm2, parseJlist, sanitiseAppName } from '../../src/sources/pm2-discovery.js';
import { readProcessTable } from '../../src/sources/process-table.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const PM2_BIN = path.join(REPO, 'node_modules', '.bin', 'pm2');
const pm2Package: unknown = JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', 'pm2', 'package.json'), 'utf8'));
const pm2Version = typeof pm2Package === 'object' && pm2Package !== null && 'version' in pm2Package ? String(pm2Package.version) : '';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-pm2-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(file: string, text = ''): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** A PM2 home as PM2 leaves it after running api (fork) and web (cluster, 1 instance so far); no daemon. */
function fakeHome(): { home: string; logs: string } {
  const home = path.join(tmp, 'home');
  const logs = path.join(home, 'logs');
  write(path.join(home, 'pm2.log'), '2026-11-22T09:39:07: PM2 log: App [api:0] online\n');
  write(path.join(logs, 'api-out.log'));
  write(path.join(logs, 'api-error.log'));
  write(path.join(logs, 'web-out-0.log'));
  write(path.join(logs, 'api-error__2026-11-21_00-00-00.log'));
  return { home, logs };
}

describe('without a daemon', () => {
  it('reads the ecosystem file: custom paths, /dev/null dropped, cluster files, relative paths', async () => {
    const { home, logs } = fakeHome();
    const custom = path.join(tmp, 'custom-logs');
    const project = path.join(tmp, 'project');
    const eco = write(
      path.join(project, 'ecosystem.config.js'),
      `module.exports = {
  apps: [
    { name: 'api', script: 'api.js', out_file: '/dev/null', error_file: ${JSON.stringify(path.join(custom, 'api-err.log'))} },
    { name: 'web', script: 'web.js', exec_mode: 'cluster', instances: 2 },
    { name: 'my_worker', script: './worker.js', output: 'var/worker.out.log', log_file: true },
    { script: 'scripts/cron.js', error_file: 'NULL' },
  ],
};
`,
    );
    const d = await discoverPm2({ home, ecosystemFile: eco });
    expect(d.exists).toBe(true);
    expect(d.daemonLog).toBe(path.join(home, 'pm2.log'));
    expect(d.logDir).toBe(logs);
    expect(d.apps).toEqual([
      { name: 'api', pmId: undefined, outFile: undefined, errorFile: path.join(custom, 'api-err.log'), logFile: undefined, pid: undefined, status: undefined },
      { name: 'web', pmId: undefined, outFile: path.join(logs, 'web-out.log'), errorFile: path.join(logs, 'web-error.log'), logFile: undefined, pid: undefined, status: undefined },
      {
        name: 'my_worker',
        pmId: undefined,
        outFile: path.join(project, 'var/worker.out.log'),
        errorFile: path.join(logs, 'my-worker-error.log'),
        logFile: path.join(logs, 'my-worker.log'),
        pid: undefined,
        status: undefined,
      },
      { name: 'cron', pmId: undefined, outFile: path.join(logs, 'cron-out.log'), errorFile: undefined, logFile: undefined, pid: undefined, status: undefined },
    ]);
    expect(d.files[0]).toBe(path.join(home, 'pm2.log'));
    expect(d.files).toEqual(
      expect.arrayContaining([
        path.join(custom, 'api-err.log'), // does not exist yet: followed once it appears
        path.join(logs, 'web-out-0.log'), // the cluster instance's own file
        path.join(logs, 'api-out.log'), // on disk, from before out_file was /dev/null
        path.join(project, 'var/worker.out.log'),
      ]),
    );
    expect(d.files).not.toContain('/dev/null');
    expect(d.files.some((f) => f.includes('__'))).toBe(false);
    expect(new Set(d.files).size).toBe(d.files.length);
    expect(d.watchDirs).toEqual(expect.arrayContaining([logs, home, custom, path.join(project, 'var')]));
    expect(d.notes).toEqual([
      expect.stringMatching(/^no PM2 daemon running for .* \(no pm2\.pid\): skipped `pm2 jlist`, which would start one$/),
      expect.stringMatching(/^apps from the ecosystem file .* \(4\)/),
    ]);
    // Nothing started a daemon.
    expect(fs.existsSync(path.join(home, 'pm2.pid'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'rpc.sock'))).toBe(false);
  });

  it('falls back to the log file names', async () => {
    const { home, logs } = fakeHome();
    const d = await discoverPm2({ home, env: { PATH: process.env.PATH } });
    expect(d.apps).toEqual([
      { name: 'api', pmId: undefined, outFile: path.join(logs, 'api-out.log'), errorFile: path.join(logs, 'api-error.log'), logFile: undefined, pid: undefined, status: undefined },
      { name: 'web', pmId: 0, outFile: path.join(logs, 'web-out-0.log'), errorFile: undefined, logFile: undefined, pid: undefined, status: undefined },
    ]);
    expect(d.files).toEqual([
      path.join(home, 'pm2.log'),
      path.join(logs, 'api-out.log'),
      path.join(logs, 'api-error.log'),
      path.join(logs, 'web-out-0.log'),
    ]);
    expect(d.watchDirs).toEqual([logs, home]);
    expect(d.notes).toHaveLength(2);
    expect(d.notes[1]).toMatch(/apps inferred from the file names/);
    expect(fs.existsSync(path.join(home, 'pm2.pid'))).toBe(false);
  });

  it('reports a missing home without creating it', async () => {
    const home = path.join(tmp, 'nothing-here');
    const d = await discoverPm2({ home });
    expect(d).toMatchObject({ home, exists: false, daemonLog: undefined, apps: [], files: [path.join(home, 'pm2.log')] });
    expect(d.watchDirs).toEqual([path.join(home, 'logs'), home]);
    expect(d.notes).toEqual([expect.stringMatching(/does not exist/), expect.stringMatching(/apps inferred .* \(0 found\)/)]);
    expect(fs.existsSync(home)).toBe(false);
  });

  it('says so when the pid file is stale', async () => {
    const { home } = fakeHome();
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => gone.once('exit', r));
    write(path.join(home, 'pm2.pid'), `${gone.pid}\n`);
    const d = await discoverPm2({ home });
    expect(d.notes[0]).toMatch(/stale pm2\.pid: process \d+ is gone/);
    expect(fs.existsSync(path.join(home, 'rpc.sock'))).toBe(false);
  });

  it('turns a broken ecosystem file into a note', async () => {
    const { home } = fakeHome();
    const eco = write(path.join(tmp, 'ecosystem.config.cjs'), 'module.exports = { apps: [ oops ] };\n');
    const d = await discoverPm2({ home, ecosystemFile: eco });
    expect(d.notes.some((n) => /could not read ecosystem file .*oops is not defined/.test(n))).toBe(true);
    expect(d.apps.map((a) => a.name)).toEqual(['api', 'web']);
  });

  it('reads JSON and YAML ecosystem files as data: nothing in them runs', async () => {
    const { home } = fakeHome();
    const marker = path.join(tmp, 'ran');
    // JavaScript inside a .json/.yaml/.config file is a syntax error or a string, never code
    const yaml = write(path.join(tmp, 'ecosystem.yaml'), `apps:\n  - name: y\n    script: "require('fs').writeFileSync('${marker}', '')"\n    out_file: out/y.log\n`);
    expect((await discoverPm2({ home, ecosystemFile: yaml })).apps[0]).toMatchObject({ name: 'y', outFile: path.join(tmp, 'out/y.log') });
    const other = write(path.join(tmp, 'ecosystem.config'), `require('fs').writeFileSync(${JSON.stringify(marker)}, '')\n`);
    const d = await discoverPm2({ home, ecosystemFile: other });
    expect(d.notes.some((n) => n.startsWith('ecosystem file') || n.startsWith('could not read ecosystem file'))).toBe(true);
    const js = write(path.join(tmp, 'ecosystem.config.cjs'), `require('fs').writeFileSync(${JSON.stringify(marker)}, ''); module.exports = { apps: [{ name: 'j', script: 'j.js' }] };\n`);
    expect(fs.existsSync(marker)).toBe(false);
    // a .js/.cjs/.mjs file is a program, as it is for pm2: it runs (README and --help say so)
    expect((await discoverPm2({ home, ecosystemFile: js })).apps.map((a) => a.name)).toEqual(['j']);
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('reads JSON ecosystem files and sees edits to a .js one', async () => {
    const { home, logs } = fakeHome();
    const json = write(path.join(tmp, 'ecosystem.json'), JSON.stringify({ apps: [{ name: 'j', script: 'j.js', out_file: 'out/j.log' }] }));
    expect((await discoverPm2({ home, ecosystemFile: json })).apps[0]?.outFile).toBe(path.join(tmp, 'out/j.log'));

    const js = write(path.join(tmp, 'eco.config.js'), "module.exports = { apps: [{ name: 'one', script: 'a.js' }] };\n");
    expect((await discoverPm2({ home, ecosystemFile: js })).apps.map((a) => a.name)).toEqual(['one']);
    write(js, "module.exports = { apps: [{ name: 'two', script: 'a.js' }] };\n");
    fs.utimesSync(js, new Date(), new Date(Date.now() + 5000));
    const again = await discoverPm2({ home, ecosystemFile: js });
    expect(again.apps.map((a) => a.name)).toEqual(['two']);
    expect(again.files).toContain(path.join(logs, 'two-out.log'));
  });
});

/** A stand-in daemon: a live pid in pm2.pid and a listener on rpc.sock, so discovery runs the pm2 binary. */
describe('with something answering on rpc.sock', () => {
  let server: net.Server;
  let home: string;
  beforeEach(async () => {
    home = fakeHome().home;
    write(path.join(home, 'pm2.pid'), String(process.pid));
    server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(path.join(home, 'rpc.sock'), r));
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  function fakePm2(script: string): string {
    const bin = write(path.join(tmp, 'bin', 'pm2'), `#!${process.execPath}\n${script}\n`);
    fs.chmodSync(bin, 0o755);
    return bin;
  }

  it('parses jlist output that has warnings around the JSON', async () => {
    const list = [
      {
        pid: 4242,
        name: 'api',
        pm_id: 3,
        pm2_env: { pm_out_log_path: '/srv/logs/api.out', pm_err_log_path: '/dev/null', pm_log_path: undefined, status: 'online', PM2_HOME: 'x' },
      },
      { pid: 0, name: 'stopped', pm_id: 4, pm2_env: { pm_out_log_path: '/h/logs/stopped-out-4.log', pm_err_log_path: '/h/logs/stopped-error-4.log', status: 'stopped' } },
    ];
    const bin = fakePm2(
      `if (process.argv[2] !== 'jlist' || process.env.PM2_HOME !== ${JSON.stringify(home)}) process.exit(3);
console.log('[PM2][WARN] Current process list is not synchronized with saved list.');
process.stdout.write(${JSON.stringify(JSON.stringify(list))});
console.log('\\n>>>> In-memory PM2 is out-of-date, do:\\n>>>> $ pm2 update');`,
    );
    const d = await discoverPm2({ home, pm2Bin: bin });
    expect(d.notes).toEqual([]);
    expect(d.apps).toEqual([
      { name: 'api', pmId: 3, outFile: '/srv/logs/api.out', errorFile: undefined, logFile: undefined, pid: 4242, status: 'online' },
      { name: 'stopped', pmId: 4, outFile: '/h/logs/stopped-out-4.log', errorFile: '/h/logs/stopped-error-4.log', logFile: undefined, pid: undefined, status: 'stopped' },
    ]);
    expect(d.files).toEqual(expect.arrayContaining(['/srv/logs/api.out', '/h/logs/stopped-out-4.log']));
    expect(d.watchDirs).toEqual(expect.arrayContaining(['/srv/logs', '/h/logs']));
  });

  it('never runs a pm2 from the current folder: not ./node_modules/.bin, not through an empty or relative PATH entry', async () => {
    // what a stranger's checkout could hold; running either would create the marker
    const marker = path.join(tmp, 'ran');
    const evil = `#!/bin/sh\n: > ${JSON.stringify(marker)}\necho '[]'\n`;
    for (const p of [path.join(tmp, 'node_modules', '.bin', 'pm2'), path.join(tmp, 'pm2'), path.join(tmp, 'bin', 'pm2')]) {
      write(p, evil);
      fs.chmodSync(p, 0o755);
    }
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const d = await discoverPm2({ home, cwd: tmp, env: { PATH: ['', '.', 'bin', 'node_modules/.bin'].join(path.delimiter) } });
      expect(d.notes[0]).toBe('pm2 not found on PATH (--pm2-bin names it): no `pm2 jlist`');
    } finally {
      process.chdir(cwd);
    }
    expect(fs.existsSync(marker)).toBe(false);

    // the same program in an absolute PATH folder, or named with --pm2-bin, is what the user chose
    const onPath = await discoverPm2({ home, env: { PATH: path.join(tmp, 'bin') } });
    expect(onPath.notes).toEqual([]);
    expect(fs.existsSync(marker)).toBe(true);
    fs.rmSync(marker);
    await discoverPm2({ home, env: { PATH: '' }, pm2Bin: path.join(tmp, 'pm2') });
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('notes a missing binary, a failing one and a hanging one, and falls back to the log folder', async () => {
    const missing = await discoverPm2({ home, pm2Bin: path.join(tmp, 'no-such-pm2') });
    expect(missing.notes).toEqual([expect.stringMatching(/pm2 binary .* not found: no `pm2 jlist`$/), expect.stringMatching(/apps inferred/)]);
    expect(missing.apps.map((a) => a.name)).toEqual(['api', 'web']);

    const noPath = await discoverPm2({ home, env: { PATH: '' }, cwd: tmp });
    expect(noPath.notes[0]).toBe('pm2 not found on PATH (--pm2-bin names it): no `pm2 jlist`');

    const failing = await discoverPm2({ home, pm2Bin: fakePm2("console.error('[PM2][ERROR] boom'); process.exit(1);") });
    expect(failing.notes[0]).toMatch(/jlist` failed \(\[PM2\]\[ERROR\] boom\)/);

    const started = Date.now();
    const hanging = await discoverPm2({ home, pm2Bin: fakePm2('setTimeout(() => {}, 60_000);'), timeoutMs: 300 });
    expect(hanging.notes[0]).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('helpers', () => {
  it('parseJlist finds the array among [PM2] lines', () => {
    expect(parseJlist('[PM2] Spawning\n[]')).toEqual([]);
    expect(parseJlist('[PM2][WARN] x\n[{"a":[1]}]\nafter [1]\n')).toEqual([{ a: [1] }]);
    expect(parseJlist('[PM2][ERROR] no daemon\n')).toBeUndefined();
  });

  it('sanitises names like PM2 and reads cluster suffixes', () => {
    expect(sanitiseAppName('my app_v2.1')).toBe('my-app-v2.1');
    expect(appsFromLogNames(['/l/my-app-error-12.log', '/l/combined.log']).map((a) => [a.name, a.pmId, a.errorFile, a.logFile])).toEqual([
      ['combined', undefined, undefined, '/l/combined.log'],
      ['my-app', 12, '/l/my-app-error-12.log', undefined],
    ]);
  });
});

// The real thing: PM2 7 from node_modules, in a private PM2_HOME (never the user's ~/.pm2).
describe('with a real PM2 daemon', () => {
  let dir: string;
  let home: string;
  let customOut: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PM2_HOME: home });
  const pm2 = (...args: string[]): string => execFileSync(PM2_BIN, args, { env: env(), encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-pm2-real-'));
    home = path.join(dir, 'pm2-home');
    customOut = path.join(dir, 'custom', 'real-out.log');
    write(path.join(dir, 'app.js'), "setInterval(() => console.log('tick'), 200);\n");
    pm2('start', path.join(dir, 'app.js'), '--name', 'real-app', '--output', customOut);
  }, 30_000);

  afterAll(() => {
    try {
      pm2('kill');
    } catch {
      // Belt and braces: stop the daemon this test started, by its pid.
      const pid = Number(fs.readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('lists the app with its custom out path from pm2 jlist', async () => {
    const d = await discoverPm2({ home, pm2Bin: PM2_BIN, timeoutMs: 15_000 });
    expect(d.notes).toEqual([]);
    expect(d.daemonLog).toBe(path.join(home, 'pm2.log'));
    const app = d.apps.find((a) => a.name === 'real-app');
    expect(app).toMatchObject({ pmId: 0, outFile: customOut, errorFile: path.join(home, 'logs', 'real-app-error.log'), logFile: undefined, status: 'online' });
    expect(app?.pid).toBeGreaterThan(0);
    expect(d.files).toEqual(expect.arrayContaining([path.join(home, 'pm2.log'), customOut, path.join(home, 'logs', 'real-app-error.log')]));
    expect(d.watchDirs).toEqual(expect.arrayContaining([path.join(home, 'logs'), path.dirname(customOut)]));

    // The same daemon in the live process table. Its title is cut to the length of the original
    // argv (`node .../pm2/lib/Daemon.js`): with a long PM2_HOME the closing `)` is lost.
    const daemonPid = Number(fs.readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
    const rows = readProcessTable();
    const title = rows.find((r) => r.pid === daemonPid)?.command ?? '';
    expect(title).toMatch(/^PM2 v[\d.]+: God Daemon \(\//);
    expect(`PM2 v${pm2Version}: God Daemon (${home})`.startsWith(title)).toBe(true);
    expect(rows.find((r) => r.pid === app?.pid)?.ppid).toBe(daemonPid);
  }, 30_000);
});
