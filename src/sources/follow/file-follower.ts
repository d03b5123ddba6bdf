// Follow one log file with positioned reads on an open handle, the way Filebeat's harvester and
// Vector's file source do, rather than the npm `tail` package (DESIGN.md measured it losing 81%
// of lines on rename rotation: it keeps no offsets and no file identity). Holding the handle
// means a renamed or deleted file can still be drained to its end; checking the bytes before the
// offset catches a truncate followed by fast writes; and a copy-then-truncate rotation
// (pm2-logrotate, logrotate copytruncate) is recovered by reading the lines written before the
// truncate from the rotated copy, found by its fingerprint.
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { rotationOf } from '../discover.js';
import { isGzip } from '../read-file.js';
import { MAX_LINE_BYTES } from '../../text/latin1.js';
import { createHash } from 'node:crypto';
import { headMatches, readRange, tailHashAt, FINGERPRINT_BYTES, TAIL_HASH_BYTES, type SavedPosition } from './identity.js';

const READ_BYTES = 1 << 20;
/**
 * One read buffer for every follower: a fresh zero-filled 1 MiB per poll of each file cost more
 * than the reading itself. consume() copies what it keeps, so sharing is safe on one thread.
 */
const scratch = Buffer.allocUnsafe(READ_BYTES);

export interface FollowerSink {
  /** Complete lines (each ends with `\n`, as Latin-1: one char per byte) read at byte offsets [start, end). */
  text(follower: FileFollower, chunk: string, start: number, end: number): void;
  /** What follows is a new file at this path (truncated, or replaced): restart line numbers. */
  restart(follower: FileFollower, reason: string): void;
  warn(message: string): void;
}

export type PollOutcome = 'ok' | 'moved';

export class FileFollower {
  private pending: Buffer = Buffer.alloc(0);
  private skippingLongLine = false;
  private fingerprintLength = 0;
  private fingerprint = '';
  /** Bytes delivered: every complete line before this offset went to the sink. */
  offset = 0;
  /** A saved position whose content was rotated away while we were not running. */
  private recoverFirst: SavedPosition | undefined;
  /** The path no longer names this file (renamed or deleted): drain it, then close. */
  detached = false;
  lastDataAt = Date.now();

  private constructor(
    readonly path: string,
    private fh: fs.FileHandle,
    readonly dev: number,
    readonly ino: number,
    private readonly sink: FollowerSink,
  ) {}

  /**
   * Open `file`. With a saved position for the same file, resume there (after recovering what a
   * rotation while we were away moved elsewhere); without one, start at its end or its start.
   */
  static async open(
    file: string,
    sink: FollowerSink,
    options: { saved?: SavedPosition | undefined; fromStart: boolean; sameContent?: boolean },
  ): Promise<FileFollower | undefined> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, 'r');
    } catch (err) {
      const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
      if (code !== 'ENOENT') sink.warn(`${file}: cannot open (${code || String(err)}); will retry`);
      return undefined;
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      sink.warn(`${file}: not a regular file; skipped`);
      return undefined;
    }
    const f = new FileFollower(file, fh, st.dev, st.ino, sink);
    const saved = options.saved;
    if (saved && options.sameContent && saved.dev !== st.dev) {
      // a copy of the saved file (another inode, same head): resume at the same offset
      const tailOk = st.size >= saved.offset && (await headMatches(file, saved)) && (await tailHashAt(fh, saved.offset)) === saved.tailHash;
      f.offset = tailOk ? saved.offset : 0;
      await f.loadIdentityFromFile();
      return f;
    }
    if (saved && saved.dev === st.dev && (saved.ino === st.ino || options.sameContent)) {
      const same = saved.fingerprintLength === 0 || (await headMatches(file, saved));
      const tailOk = same && st.size >= saved.offset && (await tailHashAt(fh, saved.offset)) === saved.tailHash;

      if (tailOk) {
        f.offset = saved.offset;
        await f.loadIdentityFromFile();
        return f;
      }
      // truncated or rewritten while we were not running: the lost part may be in a rotated
      // copy. Recovered on the first poll, once the caller is ready to receive lines.
      f.recoverFirst = saved;
      f.offset = 0;
      return f;
    }
    if (saved) {
      // the saved file was rotated away while we were not running: the caller drains it
      f.offset = 0;
      return f;
    }
    f.offset = options.fromStart ? 0 : await lastLineEnd(fh, st.size);
    await f.loadIdentityFromFile();
    return f;
  }

  /** What identifies this file's content: a hash of its first bytes and how many were hashed. */
  fingerprintInfo(): { fingerprint: string; fingerprintLength: number } {
    return { fingerprint: this.fingerprint, fingerprintLength: this.fingerprintLength };
  }

  /** Fingerprints of content this file held before truncations: its rotated copies start so. */
  readonly pastFingerprints: Array<{ fingerprint: string; fingerprintLength: number }> = [];

  position(offset: number, line: number, tailHash: string): SavedPosition {
    return {
      path: this.path,
      dev: this.dev,
      ino: this.ino,
      fingerprint: this.fingerprint,
      fingerprintLength: this.fingerprintLength,
      offset,
      line,
      tailHash,
    };
  }

  async tailHashAt(offset: number): Promise<string> {
    return tailHashAt(this.fh, offset);
  }

  /**
   * Read everything new; notice truncation; with `checkPath`, also say whether the path still
   * names this file (a stat of the path: skipped for polls prompted by a change of this very file
   * that did bring new bytes, the hottest path under load; the periodic poll checks always).
   */
  async poll(checkPath = true): Promise<PollOutcome> {
    if (this.recoverFirst) {
      const saved = this.recoverFirst;
      this.recoverFirst = undefined;
      const copy = await this.recoverFromCopy(saved);
      this.sink.restart(this, `truncated while incident-analyser was not running${copy ? `; recovered the rest from ${path.basename(copy)}` : ''}`);
    }
    const st = await this.fh.stat();
    // No shortcut on unchanged size and mtime: mtime ticks coarsely (a jiffy), and a file
    // truncated and rewritten to the same size within one tick must still be caught.
    if (st.size < this.offset + this.pending.length || (this.offset > 0 && !(await this.tailStillMatches()))) {
      await this.truncated();
    }
    const before = this.offset + this.pending.length;
    await this.drain();
    // a change reported for our path that brought our file nothing: the path names another file
    const grew = this.offset + this.pending.length > before;
    if (!this.detached && (checkPath || !grew)) {
      const now = await fs.stat(this.path).catch(() => undefined);
      if (!now || now.ino !== this.ino || now.dev !== this.dev) {
        await this.drain();
        this.detached = true;
        return 'moved';
      }
    }
    return 'ok';
  }

  /** A gzip rotated part: deliver its decompressed lines whole (it never grows). */
  async deliverCompressed(): Promise<void> {
    await this.deliverFrom(this.path, 0);
    this.offset = (await this.fh.stat()).size;
  }

  /** End of the road for a detached file: deliver a last line that never got its newline. */
  async close(): Promise<void> {
    if (this.pending.length > 0 && !this.skippingLongLine) {
      const start = this.offset;
      const tail = Buffer.concat([this.pending, Buffer.from('\n')]);
      this.offset += this.pending.length;
      this.pending = Buffer.alloc(0);
      this.sink.text(this, tail.toString('latin1'), start, this.offset);
    }
    this.closedTailHash = await tailHashAt(this.fh, this.offset).catch(() => '');
    await this.fh.close().catch(() => undefined);
  }

  /** Hash of the bytes before the offset at close(): a retired file's position needs it to be resumable. */
  closedTailHash = '';

  /**
   * The first bytes and the bytes before `offset`, as we READ them. Hashing what was read, not
   * re-reading the file, matters: a file truncated and rewritten between our read and a re-read
   * would otherwise give us the new content's identity for the old content's offset.
   */
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);

  private async tailStillMatches(): Promise<boolean> {
    if (this.tail.length !== Math.min(TAIL_HASH_BYTES, this.offset)) return true; // tail unknown
    return (await tailHashAt(this.fh, this.offset)) === sha1(this.tail);
  }

  /**
   * Starting mid-file (a resumed or end-of-file start), the head and tail can only come from the
   * file. Starting at 0 they are built from the bytes as they are read: a file rotated between
   * this open and the first read must not lend its identity to the bytes read after it.
   */
  private async loadIdentityFromFile(): Promise<void> {
    if (this.offset === 0) return;
    this.head = await readRange(this.fh, 0, FINGERPRINT_BYTES);
    this.setFingerprint();
    const start = Math.max(0, this.offset - TAIL_HASH_BYTES);
    this.tail = await readRange(this.fh, start, this.offset - start);
  }

  private setFingerprint(): void {
    this.fingerprint = this.head.length ? sha1(this.head) : '';
    this.fingerprintLength = this.head.length;
  }

  /** Bytes read at file position `at`: extend the head while it is contiguous and short. */
  private noteRead(at: number, bytes: Buffer): void {
    if (at === this.head.length && this.head.length < FINGERPRINT_BYTES) {
      this.head = Buffer.concat([this.head, bytes.subarray(0, FINGERPRINT_BYTES - this.head.length)]);
      this.setFingerprint();
    }
  }

  /** Bytes now consumed before the new offset. */
  private noteConsumed(bytes: Buffer): void {
    if (bytes.length >= TAIL_HASH_BYTES) this.tail = Buffer.from(bytes.subarray(bytes.length - TAIL_HASH_BYTES));
    else {
      const joined = Buffer.concat([this.tail, bytes]);
      this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_HASH_BYTES)));
    }
  }

  /**
   * Each read starts with the bytes we already have just before the read position, and they must
   * come back unchanged: a copy-then-truncate and new writes past our offset between the check
   * in poll() and this read (or between two reads of one drain) would otherwise hand us the
   * middle of the new content as the rest of the old, losing the old file's end and the new
   * one's start (a rotation's worth of lines, seen under load).
   */
  private async drain(): Promise<void> {
    for (;;) {
      const readPos = this.offset + this.pending.length;
      const known = this.bytesBefore();
      const { bytesRead } = await this.fh.read(scratch, 0, READ_BYTES, readPos - known.length);
      if (known.length > 0 && (bytesRead < known.length || !scratch.subarray(0, known.length).equals(known))) {
        await this.truncated();
        continue;
      }
      if (bytesRead === known.length) break;
      const got = scratch.subarray(known.length, bytesRead);
      this.lastDataAt = Date.now();
      this.noteRead(readPos, got);
      this.consume(got);
      if (bytesRead < READ_BYTES) break;
    }
  }

  /** The last bytes (up to TAIL_HASH_BYTES) before the read position that we read ourselves. */
  private bytesBefore(): Buffer {
    if (this.pending.length >= TAIL_HASH_BYTES) return this.pending.subarray(this.pending.length - TAIL_HASH_BYTES);
    // the tail is what we consumed before the offset, when we have all of it
    const tail = this.tail.length === Math.min(TAIL_HASH_BYTES, this.offset) ? this.tail : Buffer.alloc(0);
    if (this.pending.length === 0) return tail;
    const both = Buffer.concat([tail, this.pending]);
    return both.subarray(Math.max(0, both.length - TAIL_HASH_BYTES));
  }

  private consume(got: Buffer): void {
    let data = got;
    if (this.skippingLongLine) {
      const nl = data.indexOf(10);
      if (nl < 0) {
        this.offset += data.length;
        this.noteConsumed(data);
        return;
      }
      this.offset += nl + 1;
      this.noteConsumed(data.subarray(0, nl + 1));
      data = data.subarray(nl + 1);
      this.skippingLongLine = false;
    }
    const all = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    const last = all.lastIndexOf(10);
    if (last < 0) {
      if (all.length > MAX_LINE_BYTES) {
        // a line longer than we keep: deliver its start, skip the rest up to its newline
        const start = this.offset;
        this.offset += all.length;
        this.noteConsumed(all);
        this.pending = Buffer.alloc(0);
        this.skippingLongLine = true;
        this.sink.warn(`${this.path}: a line longer than ${MAX_LINE_BYTES / 1024} KiB was cut`);
        this.sink.text(this, `${all.subarray(0, MAX_LINE_BYTES).toString('latin1')}\n`, start, this.offset);
      } else {
        this.pending = Buffer.from(all);
      }
      return;
    }
    const complete = all.subarray(0, last + 1);
    this.pending = Buffer.from(all.subarray(last + 1));
    const start = this.offset;
    this.offset += complete.length;
    this.noteConsumed(complete);
    this.sink.text(this, complete.toString('latin1'), start, this.offset);
  }

  /** The file shrank or was rewritten: recover the lines moved to a rotated copy, then start over. */
  private async truncated(): Promise<void> {
    const saved = this.position(this.offset, 0, '');
    if (this.fingerprintLength > 0) {
      this.pastFingerprints.push(this.fingerprintInfo());
      if (this.pastFingerprints.length > 100) this.pastFingerprints.shift();
    }
    const recovered = await this.recoverFromCopy(saved);
    this.sink.restart(this, recovered ? `truncated (copy-then-truncate rotation into ${path.basename(recovered)})` : 'truncated');
    this.offset = 0;
    this.pending = Buffer.alloc(0);
    this.skippingLongLine = false;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    this.setFingerprint();
  }

  /**
   * Find the rotated copy of this file (a sibling named like a rotation of it, whose head has our
   * fingerprint) and deliver what it holds past `saved.offset`. Returns the copy's path.
   */
  private async recoverFromCopy(saved: SavedPosition): Promise<string | undefined> {
    if (saved.fingerprintLength === 0) return undefined;
    const dir = path.dirname(this.path);
    const base = path.basename(this.path);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return undefined;
    }
    const candidates: Array<{ file: string; mtime: number }> = [];
    for (const name of names) {
      if (name === base || rotationOf(name).live !== base) continue;
      const file = path.join(dir, name);
      const st = await fs.stat(file).catch(() => undefined);
      if (st?.isFile()) candidates.push({ file, mtime: st.mtimeMs });
    }
    candidates.sort((a, b) => b.mtime - a.mtime);
    for (const { file } of candidates) {
      if (!(await headMatches(file, saved))) continue;
      await this.deliverFrom(file, saved.offset);
      return file;
    }
    if (saved.offset > 0) this.sink.warn(`${this.path}: truncated, and no rotated copy with its content was found; lines written just before the truncate may be lost`);
    return undefined;
  }

  /** Deliver the complete lines of `file` (plain or gzip) from byte `from` to its end. */
  private async deliverFrom(file: string, from: number): Promise<void> {
    const gz = await isGzip(file);
    const raw = createReadStream(file, gz ? {} : { start: from });
    const stream = gz ? raw.pipe(createGunzip()) : raw;
    let skip = gz ? from : 0;
    let carry = Buffer.alloc(0);
    let pos = from;
    try {
      for await (const piece of stream) {
        let b: Buffer = piece;
        if (skip > 0) {
          if (b.length <= skip) {
            skip -= b.length;
            continue;
          }
          b = b.subarray(skip);
          skip = 0;
        }
        const all = carry.length ? Buffer.concat([carry, b]) : b;
        const last = all.lastIndexOf(10);
        if (last < 0) {
          carry = Buffer.from(all);
          continue;
        }
        this.sink.text(this, all.subarray(0, last + 1).toString('latin1'), pos, pos + last + 1);
        pos += last + 1;
        carry = Buffer.from(all.subarray(last + 1));
      }
    } catch (err) {
      this.sink.warn(`${file}: reading the rotated copy failed (${err instanceof Error ? err.message : String(err)})`);
    }
    if (carry.length > 0) this.sink.text(this, `${carry.toString('latin1')}\n`, pos, pos + carry.length);
  }
}

function sha1(buf: Buffer): string {
  return createHash('sha1').update(buf).digest('hex');
}

/** Offset just past the last newline at or before `size` (so we never start mid-line). */
async function lastLineEnd(fh: fs.FileHandle, size: number): Promise<number> {
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - 65536);
    const buf = await readRange(fh, start, end - start);
    const nl = buf.lastIndexOf(10);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}
