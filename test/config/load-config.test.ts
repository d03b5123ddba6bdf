// The configuration file: found where users expect it, every mistake one line with file and line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, findConfig, loadConfig, userConfigPath } from '../../src/config/load-config.js';
import { renderConfig } from '../../src/cli/init-command.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(text: string): string {
  const file = path.join(dir, 'incident-analyser.yaml');
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(file: string): string {
  try {
    loadConfig(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err instanceof Error ? err.message : '';
  }
  return '';
}

describe('configuration file', () => {
  it('reads a full file', () => {
    const file = write(`watch:
  paths: [logs, "/var/log/app/*.log"]
  pm2: true
  ps_interval: 10s
rules: [./rules]
store: state/watch.db
out: reports
lang: zh
host: web-1
sinks:
  alertmanager:
    urls: [http://am-1:9093, http://am-2:9093]
    runbook_url: https://wiki.example.com/incidents/
    resend_interval: 1m
  webhook:
    urls: [https://bridge.example.com/hook]
silences:
  - rule: duplicate-process
    until: 2030-01-01T00:00:00Z
    comment: on purpose
`);
    const c = loadConfig(file);
    expect(c.watch?.paths).toEqual(['logs', '/var/log/app/*.log']);
    expect(c.sinks?.alertmanager?.urls).toHaveLength(2);
    expect(c.silences?.[0]?.rule).toBe('duplicate-process');
  });

  it('names the file and line of each unknown key, and of each bad value', () => {
    const file = write(`watch:
  paths: [logs]
  follow: true
sinks:
  alertmanager:
    urls: [ftp://am:9093]
  slack: {}
lang: fr
`);
    expect(errorOf(file).split('\nincident-analyser: ')).toEqual([
      `${file}:3: unknown key "follow" in watch`,
      `${file}:6: sinks.alertmanager.urls.0: an http:// or https:// URL`,
      `${file}:7: unknown key "slack" in sinks`,
      `${file}:8: lang: Invalid option: expected one of "en"|"zh"`,
    ]);
  });

  it('reports broken YAML with its line', () => {
    const file = write('watch:\n  paths: [logs\nrules: x\n');
    expect(errorOf(file)).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d: invalid YAML: `));
  });

  it('is found in the working folder first, then under XDG_CONFIG_HOME', () => {
    const env = { XDG_CONFIG_HOME: path.join(dir, 'xdg') };
    expect(findConfig(undefined, dir, env)).toBeUndefined();
    fs.mkdirSync(path.dirname(userConfigPath(env)), { recursive: true });
    fs.writeFileSync(userConfigPath(env), 'lang: en\n');
    expect(findConfig(undefined, dir, env)).toBe(path.join(dir, 'xdg', 'incident-analyser', 'config.yaml'));
    const local = write('lang: zh\n');
    expect(findConfig(undefined, dir, env)).toBe(local);
    expect(findConfig('other.yaml', dir, env)).toBe('other.yaml');
  });

  it('init output loads, and values from the machine cannot break out of their strings or comments', () => {
    const text = renderConfig({
      pm2Home: '/home/u/.pm2',
      defaultHome: '/home/u/.pm2',
      logDir: '/home/u/.pm2/logs',
      apps: [{ name: 'api\nrules: [evil]', files: ['/srv/api/"err".log', '/home/u/.pm2/logs/api-out.log'] }],
      notes: ['a note\nstore: /tmp/evil.db'],
    });
    const c = loadConfig(write(text));
    expect(c.rules).toBeUndefined();
    expect(c.store).toBeUndefined();
    expect(c.watch?.pm2).toBe(true);
    expect(c.watch?.paths).toEqual(['/srv/api/"err".log']);
  });
});
