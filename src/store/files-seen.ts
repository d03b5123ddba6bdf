// What the store records about each file a run read: enough to tell later whether it is the
// same file (size, mtime and a hash of its first bytes) without keeping any of its content.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Bytes hashed from the start of a file (fewer when the file is shorter). */
export const FIRST_BYTES = 1024;

export interface FileSeen {
  /** Absolute path, so runs from different folders agree. */
  path: string;
  size: number | null;
  mtimeMs: number | null;
  /** sha256 hex of the first FIRST_BYTES bytes. */
  firstBytesHash: string | null;
}

/** Never throws: a file that vanished or cannot be read since the run is recorded with nulls. */
export function describeFile(file: string): FileSeen {
  const absolute = path.resolve(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(absolute, 'r');
    const stat = fs.fstatSync(fd);
    const buffer = Buffer.alloc(Math.min(FIRST_BYTES, stat.size));
    const read = buffer.length > 0 ? fs.readSync(fd, buffer, 0, buffer.length, 0) : 0;
    const firstBytesHash = createHash('sha256').update(buffer.subarray(0, read)).digest('hex');
    return { path: absolute, size: stat.size, mtimeMs: stat.mtimeMs, firstBytesHash };
  } catch {
    return { path: absolute, size: null, mtimeMs: null, firstBytesHash: null };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
