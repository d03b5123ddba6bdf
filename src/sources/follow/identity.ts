// File identity for following logs across rotations, as Vector and Fluent Bit do it: a file is
// its device + inode plus a fingerprint of its first bytes (an inode number is reused after a
// delete), and a saved offset is trusted only if the bytes just before it still hash the same
// (a file truncated and rewritten past the offset would otherwise be read from the middle).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { SavedPosition } from '../../model.js';
import { isGzip } from '../read-file.js';

export type { SavedPosition };

/** Bytes of the file's head that identify it. Shorter files use what they have (and say how much). */
export const FINGERPRINT_BYTES = 256;
/** Bytes before a saved offset whose hash must still match on resume. */
export const TAIL_HASH_BYTES = 256;

export interface Fingerprint {
  hash: string;
  /** How many head bytes were hashed (less than FINGERPRINT_BYTES while the file is young). */
  length: number;
}


function sha1(buf: Buffer): string {
  return createHash('sha1').update(buf).digest('hex');
}

export async function readRange(fh: fs.FileHandle, start: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, start + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

export async function tailHashAt(fh: fs.FileHandle, offset: number): Promise<string> {
  if (offset <= 0) return '';
  const start = Math.max(0, offset - TAIL_HASH_BYTES);
  const bytes = await readRange(fh, start, offset - start);
  return bytes.length === offset - start ? sha1(bytes) : '';
}

/** Hash of the first `length` bytes of `file` (plain or gzip), or undefined if it is shorter. */
export async function headHash(file: string, length: number): Promise<string | undefined> {
  const head = await readHead(file, length).catch(() => undefined);
  return head !== undefined && head.length === length ? sha1(head) : undefined;
}

/** Does the head of `file` (plain or gzip) hash to `fp`? */
export async function headMatches(file: string, fp: { fingerprint: string; fingerprintLength: number }): Promise<boolean> {
  if (fp.fingerprintLength === 0) return false;
  const head = await readHead(file, fp.fingerprintLength).catch(() => undefined);
  return head !== undefined && head.length === fp.fingerprintLength && sha1(head) === fp.fingerprint;
}

/** The first `length` bytes of `file`, decompressed when it is gzip. */
export async function readHead(file: string, length: number): Promise<Buffer> {
  if (!(await isGzip(file))) {
    const fh = await fs.open(file, 'r');
    try {
      return await readRange(fh, 0, length);
    } finally {
      await fh.close();
    }
  }
  const parts: Buffer[] = [];
  let have = 0;
  const stream = createReadStream(file).pipe(createGunzip());
  try {
    for await (const piece of stream) {
      const b: Buffer = piece;
      parts.push(b);
      have += b.length;
      if (have >= length) break;
    }
  } catch {
    // a damaged copy: compare what we got
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, length);
}
