import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverStreams, rotationOf, serviceFromFileName } from '../../src/sources/discover.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-discover-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function touch(rel: string, mtimeSec = 1_770_000_000): void {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, 'x\n');
  fs.utimesSync(p, mtimeSec, mtimeSec);
}

describe('service names', () => {
  it.each([
    ['workbot-error.log', 'workbot'],
    ['wordpecker-backend-out.log', 'wordpecker-backend'],
    ['api-out-3.log', 'api'],
    ['pm2.log', 'pm2'],
    ['backend.log', 'backend'],
  ])('%s → %s', (file, service) => expect(serviceFromFileName(file)).toBe(service));
});

describe('rotation', () => {
  it('recognises pm2-logrotate, logrotate numbered and dateext names', () => {
    expect(rotationOf('api-error__2026-02-10_00-00-00.log.gz')).toEqual({ live: 'api-error.log', rank: '2026-02-10_00-00-00' });
    expect(rotationOf('app.log.2.gz')).toEqual({ live: 'app.log', rank: -2 });
    expect(rotationOf('app.log-20260210')).toEqual({ live: 'app.log', rank: '20260210' });
    expect(rotationOf('app.log').rank).toBe(Number.POSITIVE_INFINITY);
  });

  it('groups a live file and its rotated parts into one stream, oldest first', async () => {
    touch('logs/api-error__2026-02-10_00-00-00.log');
    touch('logs/api-error__2026-02-09_00-00-00.log.gz');
    touch('logs/api-error.log');
    touch('logs/web.log.1');
    touch('logs/web.log.2.gz');
    touch('logs/web.log');
    touch('pm2.log');
    touch('README.md');
    const { streams, skipped } = await discoverStreams([dir]);
    expect(skipped).toEqual([]);
    const names = streams.map((s) => [s.service, s.files.map((f) => path.basename(f.display))]);
    expect(names).toEqual([
      ['pm2', ['pm2.log']],
      ['api', ['api-error__2026-02-09_00-00-00.log.gz', 'api-error__2026-02-10_00-00-00.log', 'api-error.log']],
      ['web', ['web.log.2.gz', 'web.log.1', 'web.log']],
    ]);
  });

  it('reports missing paths and empty globs without stopping', async () => {
    touch('a.log');
    const { streams, skipped } = await discoverStreams([path.join(dir, 'missing.log'), path.join(dir, 'a.log'), path.join(dir, '*.nothing')]);
    expect(streams).toHaveLength(1);
    expect(skipped.map((s) => s.reason)).toEqual(['no such file or directory', 'the pattern matches no file']);
  });

  it('expands globs and reads a named file whatever its extension', async () => {
    touch('x/one.log');
    touch('x/two.log');
    touch('x/notes.md');
    const globbed = await discoverStreams(['x/*.log'], dir);
    expect(globbed.streams.map((s) => s.service).sort()).toEqual(['one', 'two']);
    const named = await discoverStreams([path.join(dir, 'x/notes.md')]);
    expect(named.streams).toHaveLength(1);
  });
});

describe('symbolic links in folder walks', () => {
  it('does not leave the named folder through a link unless asked, and says what it skipped', async () => {
    touch('logs/app.log');
    touch('logs/sub/inner.log');
    touch('elsewhere/secret.log');
    touch('elsewhere/deep/other.log');
    fs.symlinkSync(path.join(dir, 'elsewhere/secret.log'), path.join(dir, 'logs/secret.log'));
    fs.symlinkSync(path.join(dir, 'elsewhere/deep'), path.join(dir, 'logs/deep'));
    // a link that stays inside is harmless: its target is read once, under its own name
    fs.symlinkSync(path.join(dir, 'logs/sub/inner.log'), path.join(dir, 'logs/inner-link.log'));
    fs.symlinkSync(path.join(dir, 'nowhere.log'), path.join(dir, 'logs/broken.log'));

    const files = (d: Awaited<ReturnType<typeof discoverStreams>>): string[] => d.streams.flatMap((s) => s.files.map((f) => path.relative(dir, f.abs))).sort();
    const walled = await discoverStreams(['logs'], dir);
    expect(files(walled)).toEqual(['logs/app.log', 'logs/sub/inner.log']);
    expect(walled.skipped).toEqual([
      { file: 'logs/broken.log', reason: 'broken symbolic link' },
      { file: 'logs/deep', reason: `symbolic link to ${fs.realpathSync(path.join(dir, 'elsewhere/deep'))}, outside logs: not followed (--follow-symlinks follows it)` },
      { file: 'logs/secret.log', reason: `symbolic link to ${fs.realpathSync(path.join(dir, 'elsewhere/secret.log'))}, outside logs: not followed (--follow-symlinks follows it)` },
    ]);

    const followed = await discoverStreams(['logs'], { cwd: dir, followSymlinks: true });
    expect(files(followed)).toEqual(['elsewhere/deep/other.log', 'elsewhere/secret.log', 'logs/app.log', 'logs/sub/inner.log']);
  });

  it('follows a folder the user named even when it is itself a link', async () => {
    touch('real/app.log');
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'named'));
    const d = await discoverStreams(['named'], dir);
    expect(d.skipped).toEqual([]);
    expect(d.streams.map((s) => s.files[0]?.display)).toEqual(['named/app.log']);
  });
});

describe('standard input', () => {
  it('takes -, /dev/stdin and /dev/fd/0 as one input named as given, service "stdin"', async () => {
    const d = await discoverStreams(['-', '/dev/stdin', '/dev/fd/0'], dir);
    expect(d.skipped).toEqual([]);
    expect(d.streams).toHaveLength(1);
    expect(d.streams[0]).toMatchObject({ service: 'stdin', files: [{ display: '-', stdin: true }] });
  });
});

describe('scopes', () => {
  const scopesOf = async (paths: string[]): Promise<Record<string, string>> => {
    const { streams } = await discoverStreams(paths, dir);
    return Object.fromEntries(streams.flatMap((s) => s.files.map((f) => [f.display, s.scope])));
  };

  it('splits a folder holding only folders into one scope per sub-folder, and a PM2 home is one scope', async () => {
    touch('archive/README.md');
    touch('archive/box-a/pm2.log');
    touch('archive/box-a/logs/api-error.log');
    touch('archive/box-b/web.log');
    touch('archive/box-b/nested/worker.log');
    touch('archive/scenarios/s1/app.log');
    touch('archive/scenarios/s2/app.log');
    expect(await scopesOf(['archive'])).toEqual({
      'archive/box-a/pm2.log': 'archive/box-a',
      'archive/box-a/logs/api-error.log': 'archive/box-a',
      'archive/box-b/web.log': 'archive/box-b',
      'archive/box-b/nested/worker.log': 'archive/box-b',
      'archive/scenarios/s1/app.log': 'archive/scenarios/s1',
      'archive/scenarios/s2/app.log': 'archive/scenarios/s2',
    });
  });

  it('gives no label when the run has one scope: files of one folder, or one folder with logs', async () => {
    touch('logs/a.log');
    touch('logs/b.log');
    touch('logs/old/c.log');
    expect(Object.values(await scopesOf(['logs/a.log', 'logs/b.log']))).toEqual(['', '']);
    expect(Object.values(await scopesOf(['logs']))).toEqual(['', '', '']);
    expect((await discoverStreams(['logs'], dir)).scopes).toEqual(['']);
  });

  it('gives each path a scope of its own, except paths inside one PM2 home', async () => {
    touch('one/a.log');
    touch('two/a.log');
    expect(await scopesOf(['one', 'two'])).toEqual({ 'one/a.log': 'one', 'two/a.log': 'two' });
    touch('.pm2/pm2.log');
    touch('.pm2/logs/api-out.log');
    expect(Object.values(await scopesOf(['.pm2/logs', '.pm2/pm2.log']))).toEqual(['', '']);
  });
});
