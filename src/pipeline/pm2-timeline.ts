// What PM2's daemon log says about each app's life: when it first and last appears. Used to
// place events of app logs that carry no timestamps (PM2's default without `--time`).
import type { LogEvent } from '../model.js';

const APP_LINE = /\bApp \[(.+?):([\w-]+)\]/;
const GAVE_UP = /had too many unstable restarts/;
const MEMORY_RESTART = /\[PM2\]\[WORKER\] Process (\d+) restarted because it exceeds --max-memory-restart/;

export class Pm2Timeline {
  private readonly apps = new Map<string, { first: number; last: number }>();
  private lastApp: string | undefined;
  private readonly nameById = new Map<string, string>();

  /**
   * Called for every pm2.log event, in order. PM2's "Script <path> had too many unstable
   * restarts" names the script, not the app; it follows the app's last exit line, so it takes
   * that app as its service. The worker's max-memory restart names only the pm_id, which the
   * `App [name:id]` lines map to a name.
   */
  note(event: LogEvent): void {
    if (GAVE_UP.test(event.text) && this.lastApp) event.service = this.lastApp;
    const mem = MEMORY_RESTART.exec(event.text);
    const named = mem ? this.nameById.get(mem[1] ?? '') : undefined;
    if (named) event.service = named;
    if (event.time === undefined) return;
    const m = APP_LINE.exec(event.text);
    const name = m?.[1];
    if (!name) return;
    this.lastApp = name;
    if (m[2]) this.nameById.set(m[2], name);
    // PM2 names log files after the app with everything but [A-Za-z0-9.-] replaced by '-'
    const key = name.replace(/[^a-zA-Z0-9.-]/g, '-');
    const seen = this.apps.get(key);
    if (!seen) this.apps.set(key, { first: event.time, last: event.time });
    else {
      seen.first = Math.min(seen.first, event.time);
      seen.last = Math.max(seen.last, event.time);
    }
  }

  knows(service: string): boolean {
    return this.apps.has(service);
  }

  firstSeen(service: string): number | undefined {
    return this.apps.get(service)?.first;
  }
}
