// The configuration file as the CLI uses it: values apply where the command line is silent,
// the command line overrides them, mistakes stop the run with the file and line, and `init`
// writes a file from a real PM2's apps that watch then runs from.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/http-receiver.js';
import { freePort } from '../support/alertmanager.js';

const BIN = fileURLToPath(new URL('../../bin/incident-analyser.js', import.meta.url));
const PM2 = fileURLToPath(new URL('../../node_modules/.bin/pm2', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../fixtures/seed-004-db-pool-timeout', import.meta.url));

let dir: string;
let rx: Receiver;
let pm2Home: string | undefined;

beforeEach(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ia-cfgcli-')));
  rx = await startReceiver();
});
afterEach(async () => {
  if (pm2Home) spawnSync(PM2, ['kill'], { env: { ...process.env, PM2_HOME: pm2Home }, timeout: 30_000 });
  pm2Home = undefined;
  await rx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: path.join(dir, 'xdg'), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const bodies = (): Array<{ host: string; incident: { rule: string } }> => rx.received.map((r) => JSON.parse(r.body));

describe('configuration file on the command line', () => {
  it('applies where the command line is silent; the command line wins', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/hook`;
    fs.writeFileSync(path.join(dir, 'incident-analyser.yaml'), `host: from-config\nsinks:\n  webhook:\n    urls: ["${rx.url}/cfg"]\n`);
    const a = await run(['analyze', FIXTURE, '--quiet']);
    expect(a.code, a.stderr).toBe(0);
    expect(bodies().map((b) => b.host)).toEqual(['from-config']);
    expect(rx.received[0]?.path).toBe('/cfg');

    // --webhook on the command line replaces the configured list (the config's is not called)
    fs.writeFileSync(path.join(dir, 'incident-analyser.yaml'), `host: from-config\nsinks:\n  webhook:\n    urls: ["${dead}"]\n`);
    const b = await run(['analyze', FIXTURE, '--quiet', '--webhook', `${rx.url}/cli`, '--host', 'from-cli']);
    expect(b.code, b.stderr).toBe(0);
    expect(rx.received[1]?.path).toBe('/cli');
    expect(bodies()[1]?.host).toBe('from-cli');

    // --no-config ignores it; --config names another
    const c = await run(['analyze', FIXTURE, '--quiet', '--no-config']);
    expect(c.code, c.stderr).toBe(0);
    expect(rx.received).toHaveLength(2);
  }, 60_000);

  it('report takes its store and output folder from the file; silences keep changes from sinks', async () => {
    fs.mkdirSync(path.join(dir, 'etc'));
    fs.writeFileSync(
      path.join(dir, 'etc', 'ia.yaml'),
      `store: ../state/store.db\nout: ../reports\nsinks:\n  webhook:\n    urls: ["${rx.url}"]\nsilences:\n  - rule: db-pool-timeout\n    until: 2999-01-01T00:00:00Z\n`,
    );
    fs.mkdirSync(path.join(dir, 'state'));
    expect((await run(['analyze', FIXTURE, '--db', 'state/store.db', '--no-config', '--quiet'])).code).toBe(0);
    const r = await run(['report', '--config', 'etc/ia.yaml']);
    expect(r.code, r.stderr).toBe(0);
    // relative paths are relative to the file
    expect(fs.readdirSync(path.join(dir, 'reports', 'incidents'))).toHaveLength(1);
    expect(rx.received).toHaveLength(0);
    fs.writeFileSync(path.join(dir, 'etc', 'ia.yaml'), fs.readFileSync(path.join(dir, 'etc', 'ia.yaml'), 'utf8').replace('2999-01-01', '2001-01-01'));
    expect((await run(['report', '--config', 'etc/ia.yaml'])).code).toBe(0);
    expect(bodies().map((b) => b.incident.rule)).toEqual(['db-pool-timeout']);
  }, 60_000);

  it('an unknown key stops every command with the file and line, exit 2', async () => {
    fs.mkdirSync(path.join(dir, 'xdg', 'incident-analyser'), { recursive: true });
    const file = path.join(dir, 'xdg', 'incident-analyser', 'config.yaml');
    fs.writeFileSync(file, 'lang: en\nsink:\n  webhook: {}\n');
    const r = await run(['analyze', FIXTURE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`incident-analyser: ${file}:2: unknown key "sink"\n`);
    expect(r.stdout).toBe('');
  });

  it('init writes a file from a real PM2 (home, apps, custom log paths) and watch runs from it', async () => {
    const home = path.join(dir, 'pm2-home');
    pm2Home = home;
    const env = { PM2_HOME: home };
    fs.writeFileSync(path.join(dir, 'server.js'), 'setInterval(() => {}, 1000);');
    fs.mkdirSync(path.join(dir, 'custom'));
    const errFile = path.join(dir, 'custom', 'shop-err.log');
    const start = spawnSync(PM2, ['start', path.join(dir, 'server.js'), '--name', 'shop', '--error', errFile], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    expect(start.status, start.stderr).toBe(0);
    const init = await run(['init'], env);
    expect(init.code, init.stderr).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'incident-analyser.yaml'), 'utf8');
    expect(text).toContain(`pm2: ${JSON.stringify(home)}`);
    expect(text).toMatch(/#\s+shop: /);
    expect(text).toContain(`- ${JSON.stringify(errFile)}`);
    // not replaced without --force
    const again = await run(['init'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/incident-analyser\.yaml already exists; --force replaces it/);

    // watch with no paths follows what the file says: the custom error log
    const child = spawn(process.execPath, [BIN, 'watch', '--db', 'w.db', '--format', 'json'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    for (let i = 0; i < 200 && !err.includes('watching'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain(errFile);
    await new Promise((r) => setTimeout(r, 300));
    fs.appendFileSync(errFile, `${new Date().toISOString()}: Error: listen EADDRINUSE: address already in use :::3000\n`);
    for (let i = 0; i < 200 && !out.includes('port-in-use'); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(out, err).toContain('"rule":"port-in-use"');
  }, 120_000);
});
