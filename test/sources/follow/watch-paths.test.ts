import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialFiles, watchRoot } from '../../../src/sources/follow/watch-paths.js';

let dir: string;
beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ia-watchpaths-')));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(rel: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, 'x\n');
  return p;
}

describe('watched folders and symbolic links', () => {
  it('do not follow a link out of the folder unless asked; links inside and vanished files are fine', () => {
    const own = write('logs/app.log');
    const secret = write('private/secret.log');
    write('elsewhere/deep/other.log');
    fs.symlinkSync(secret, path.join(dir, 'logs/secret.log'));
    fs.symlinkSync(path.join(dir, 'elsewhere/deep'), path.join(dir, 'logs/deep'));
    fs.symlinkSync(own, path.join(dir, 'logs/alias.log'));

    const walled = watchRoot('logs', dir);
    expect(initialFiles([walled]).sort()).toEqual([path.join(dir, 'logs/alias.log'), own]);
    expect(walled.accepts(path.join(dir, 'logs/secret.log'))).toBe(false);
    // a file rotated away is still the root's business: the follower drains what it holds
    expect(walled.accepts(path.join(dir, 'logs/gone.log'))).toBe(true);

    const followed = watchRoot('logs', dir, { followSymlinks: true });
    expect(initialFiles([followed]).sort()).toEqual(
      [path.join(dir, 'logs/alias.log'), own, path.join(dir, 'logs/deep/other.log'), path.join(dir, 'logs/secret.log')].sort(),
    );
  });

  it('take a path under a folder that became a file again for one that is gone, without throwing', () => {
    // the change event for logs/x.log/a.log can arrive after logs/x.log is a file once more
    const file = write('logs/x.log');
    const root = watchRoot('logs', dir);
    expect(() => root.accepts(path.join(file, 'a.log'))).not.toThrow();
    expect(root.accepts(path.join(file, 'a.log'))).toBe(true);
    expect(initialFiles([root])).toEqual([file]);
  });
});
