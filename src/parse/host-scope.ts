// A host named in the log lines refines the scope of the folder they were read from. Within one
// folder scope the first host seen is the folder's own box (lines without a host field, like
// PM2's, belong to it too); every other host is a scope of its own (`<folder>@<host>`), so an
// aggregated log of several boxes never merges or links one box's incidents with another's.
// The host is syslog's (journald, rsyslog) or pino/bunyan's `hostname` (see build-event.ts).
import type { LogEvent } from '../model.js';

export class HostScopes {
  private readonly home = new Map<string, string>();
  private readonly folderOf = new Map<string, string>();

  /** The scope of an event read in the folder scope `scope`. */
  scopeOf(scope: string, event: LogEvent): string {
    const host = event.host;
    if (host === undefined || host === '') return scope;
    const home = this.home.get(scope);
    if (home === undefined) {
      this.home.set(scope, host);
      return scope;
    }
    if (home === host) return scope;
    const refined = `${scope}@${host}`;
    this.folderOf.set(refined, scope);
    return refined;
  }

  /** The folder scope a (possibly host-refined) scope belongs to. */
  folder(scope: string): string {
    return this.folderOf.get(scope) ?? scope;
  }
}
