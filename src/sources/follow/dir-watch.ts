// Change events for the folders watch mode follows: one plain fs.watch (inotify) per folder,
// reporting the name of the file that changed. chokidar was measured re-listing a folder and
// stat-ing every entry on each burst of writes: with 200 rotated files next to 20 live ones a
// core was saturated and p99 latency reached 4.8 s (bench/README.md). Events are only hints:
// the follower's periodic poll and rescans find whatever an event did not say.
import fs from 'node:fs';
import path from 'node:path';

export class DirWatchers {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  /** After close(), add() does nothing: a late rescan must not keep the process alive. */
  private closed = false;

  constructor(private readonly onChange: (file: string) => void) {}

  /** Watch these folders (already watched ones and missing ones are skipped quietly). */
  add(dirs: string[]): void {
    if (this.closed) return;
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, { persistent: true }, (_type, name) => {
          this.onChange(name ? path.join(dir, name.toString()) : dir);
        });
        // the folder went away: forget it; the rescan watches it again if it comes back
        w.on('error', () => this.forget(dir));
        this.watchers.set(dir, w);
      } catch {
        // missing or unreadable right now: the next rescan tries again
      }
    }
  }

  private forget(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  close(): void {
    this.closed = true;
    for (const dir of [...this.watchers.keys()]) this.forget(dir);
  }
}
