// Where an external program is looked up. Empty and relative entries of PATH (`::`, `.`) mean the
// current folder to a shell, where whoever can write (a cloned repository, a shared /tmp) would
// choose what we run; they are skipped, as Go's exec.LookPath refuses such results.
import fs from 'node:fs';
import path from 'node:path';

/** An executable file `name` in PATH's absolute folders, as an absolute path. */
export function findOnPath(name: string, pathVar: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
