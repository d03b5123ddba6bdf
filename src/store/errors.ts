// User-facing store errors: the CLI prints `message` as one line and exits 2 (no stack).
// Anything that is not a StoreError is a bug and keeps its stack.
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../errors.js';

export class StoreError extends UserError {
  override readonly name = 'StoreError';
  /** The database file the error is about, as the user named it. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/**
 * Turn the SQLite failures a user can cause (wrong file, missing folder, read-only disk, a lock
 * held by another process, a full disk) into one-line StoreErrors naming the file. Everything
 * else is returned unchanged so it surfaces as a bug.
 */
export function toStoreError(error: unknown, file: string): unknown {
  if (error instanceof StoreError) return error;
  if (error instanceof Database.SqliteError) {
    const reason = userFacingReason(error.code, file);
    if (reason === undefined) return error;
    // The SQLite text adds nothing when the reason already says it all.
    const detail = error.code === 'SQLITE_NOTADB' ? '' : ` (SQLite: ${error.message})`;
    return new StoreError(file, `${reason}${detail}`, { cause: error });
  }
  // better-sqlite3 checks the folder itself and throws a plain TypeError.
  if (error instanceof TypeError && /directory does not exist/.test(error.message)) {
    return new StoreError(file, `cannot create ${file}: the folder ${path.dirname(path.resolve(file))} does not exist`, {
      cause: error,
    });
  }
  return error;
}

function userFacingReason(code: string, file: string): string | undefined {
  // Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, ...) share the primary prefix.
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
  switch (primary) {
    case 'SQLITE_NOTADB':
      return `${file} is not a SQLite database, so not an incident-analyser store; it was left untouched`;
    case 'SQLITE_CORRUPT':
      return `${file} is a damaged SQLite database; it was left untouched`;
    case 'SQLITE_CANTOPEN':
      return `cannot open ${file}`;
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return `cannot write ${file}`;
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return `${file} is locked by another process`;
    case 'SQLITE_FULL':
      return `cannot write ${file}: the disk is full`;
    case 'SQLITE_IOERR':
      return `cannot read or write ${file}`;
    default:
      return undefined;
  }
}
