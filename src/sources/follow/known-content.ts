// What watch mode has read before, so a rotated file is read only if it holds lines we never
// saw: a file is known by its inode (a rename keeps it) together with its head (inode numbers
// are reused after a delete), or by its head alone (a copy-then-truncate copy has a new inode
// and the head of content we read).
import type { Fingerprint } from './identity.js';
import { headHash, headMatches } from './identity.js';

export interface Fingerprinted {
  fingerprint: string;
  fingerprintLength: number;
}

/** Remembered identities; the oldest are forgotten past this many. */
const MAX_KNOWN = 10_000;
/** Heads carried across restarts (per head length). */
const KEEP_HEADS = 1000;

export class KnownContent {
  private readonly byInode = new Map<string, Fingerprinted>();
  /** Fingerprints by how many head bytes were hashed. */
  private readonly heads = new Map<number, Set<string>>();

  rememberFile(dev: number, ino: number, fp: Fingerprinted): void {
    const key = `${dev}:${ino}`;
    this.byInode.delete(key);
    this.byInode.set(key, fp);
    if (this.byInode.size > MAX_KNOWN) {
      const oldest = this.byInode.keys().next().value;
      if (oldest !== undefined) this.byInode.delete(oldest);
    }
    this.rememberHead(fp);
  }

  rememberHead(fp: Fingerprinted): void {
    if (fp.fingerprintLength === 0) return;
    const set = this.heads.get(fp.fingerprintLength) ?? new Set<string>();
    set.delete(fp.fingerprint);
    set.add(fp.fingerprint);
    if (set.size > MAX_KNOWN) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) set.delete(oldest);
    }
    this.heads.set(fp.fingerprintLength, set);
  }

  /** Has `file` (with this inode) been read before, as itself or as the content it copies? */
  async isKnown(file: string, dev: number, ino: number): Promise<boolean> {
    const byInode = this.byInode.get(`${dev}:${ino}`);
    if (byInode && (byInode.fingerprintLength === 0 || (await headMatches(file, byInode)))) return true;
    for (const [length, hashes] of this.heads) {
      const head = await headHash(file, length);
      if (head !== undefined && hashes.has(head)) return true;
    }
    return false;
  }

  /** The most recent heads, to save with a checkpoint. */
  recentHeads(): Fingerprint[] {
    return [...this.heads].flatMap(([length, set]) => [...set].slice(-KEEP_HEADS).map((hash) => ({ hash, length })));
  }
}
