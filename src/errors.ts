// Errors a user can cause and fix (a bad path, a broken rule file, a full disk, a store that is not
// ours): the CLI prints `message` as one line and exits 2. Anything else is a bug and keeps its
// stack. Dependency-free so every stage can throw one without loading anything.

export class UserError extends Error {
  override name = 'UserError';
}

/** A report or output folder could not be written. */
export class OutputError extends UserError {
  override name = 'OutputError';
}

/** The error's errno code (`ENOSPC`, `EACCES`…), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** What a failed file-system call means for the user, in a few words. */
export function describeErrno(err: unknown): string {
  switch (errnoCode(err)) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    case 'EFBIG':
      return 'file too large';
    case 'EIO':
      return 'input/output error';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
