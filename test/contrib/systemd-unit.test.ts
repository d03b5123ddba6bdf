// contrib/incident-analyser.service: systemd accepts it (systemd-analyze verify, where present),
// it is hardened, and its ExecStart command line really runs: started with the unit's own
// arguments (folders moved to a temp dir), it watches, and the unit's KillSignal stops it cleanly.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'incident-analyser.js');
const UNIT = fs.readFileSync(path.join(ROOT, 'contrib', 'incident-analyser.service'), 'utf8');
const ANALYZE = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();

function setting(key: string): string[] {
  return [...UNIT.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] ?? '');
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-unit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('systemd unit', () => {
  it.skipIf(!ANALYZE)('passes systemd-analyze verify', () => {
    const unit = path.join(dir, 'incident-analyser.service');
    fs.writeFileSync(unit, UNIT.replace(/^ExecStart=incident-analyser/m, `ExecStart=${BIN}`));
    const r = spawnSync(ANALYZE, ['verify', '--man=no', unit], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('is hardened', () => {
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'read-only'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
    ] as const) {
      expect(setting(key), key).toEqual([value]);
    }
    // V8's JIT needs W+X memory: this would kill node at start
    expect(setting('MemoryDenyWriteExecute')).toEqual([]);
  });

  it('its ExecStart runs, watches, and stops with exit 0 on its KillSignal', async () => {
    const [exec] = setting('ExecStart');
    const args = (exec ?? '').split(' ').slice(1).map((a) => a.replace('/etc/incident-analyser', path.join(dir, 'etc')).replace('/var/lib/incident-analyser', path.join(dir, 'state')));
    fs.mkdirSync(path.join(dir, 'etc'));
    fs.mkdirSync(path.join(dir, 'state'));
    fs.mkdirSync(path.join(dir, 'pm2', 'logs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'etc', 'config.yaml'), 'host: unit-test\n');
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, PM2_HOME: path.join(dir, 'pm2') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    for (let i = 0; i < 200 && !err.includes('watching'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain('watching');
    fs.appendFileSync(path.join(dir, 'pm2', 'logs', 'api-error.log'), `${new Date().toISOString()}: Error: listen EADDRINUSE: address already in use :::3000\n`);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    for (let i = 0; i < 200 && !out.includes('port-in-use'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out, err).toContain('port-in-use');
    const [signal] = setting('KillSignal');
    child.kill(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
    expect(fs.existsSync(path.join(dir, 'state', 'watch.db'))).toBe(true);
  }, 30_000);
});
