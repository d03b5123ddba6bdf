// The process table as a live source (watch --ps-interval): every few seconds the rows of
// /proc become 'ps' events for the duplicate-process rules. A process counts once while it
// lives: the processes already fed (pid + start time) are this source's checkpoint, so a
// restarted watcher does not count the same processes again.
import type { SavedPosition } from '../model.js';
import { processEvents, readProcessTable } from './process-table.js';
import type { Source, SourceCheckpoint, SourceHost } from './source.js';

/** At most this many processes are remembered (a box runs far fewer at once). */
const MAX_SEEN = 100_000;

export class ProcessSource implements Source {
  readonly name = 'process-table';
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly procRoot?: string,
  ) {}

  async start(host: SourceHost, saved: { positions: SavedPosition[]; state: unknown }): Promise<void> {
    if (Array.isArray(saved.state)) for (const k of saved.state) if (typeof k === 'string') this.seen.add(k);
    await host.enqueue(async () => this.scan(host));
    this.timer = setInterval(() => void host.enqueue(async () => this.scan(host)), this.intervalMs);
  }

  private scan(host: SourceHost): void {
    const rows = readProcessTable(this.procRoot);
    const live = new Set<string>();
    const fresh = [];
    for (const event of processEvents(rows, Date.now())) {
      const key = `${event.pid ?? ''}:${event.fields?.start ?? ''}`;
      live.add(key);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      fresh.push(event);
    }
    // processes that ended are forgotten: a pid reused later is a new process
    for (const key of this.seen) if (!live.has(key) || this.seen.size > MAX_SEEN) this.seen.delete(key);
    if (fresh.length > 0) host.events(fresh);
    host.touched();
  }

  async checkpoint(): Promise<SourceCheckpoint> {
    return { state: [...this.seen] };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }
}
