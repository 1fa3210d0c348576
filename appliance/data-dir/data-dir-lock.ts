import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { dataDirErrors } from './errors.ts';
import type { DataDirLayout } from './data-dir-layout.ts';

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data directory for this process. The lock is an SQLite database
 * held in exclusive locking mode: SQLite's POSIX advisory lock belongs to the
 * process, so the kernel drops it when the process dies, even by kill -9, and
 * a stale lock cannot exist. The pid file is only there for the message.
 */
export function lockDataDir(layout: DataDirLayout): DataDirLock {
  mkdirSync(layout.runDir, { recursive: true, mode: 0o700 });
  const db = new Database(layout.lockFile, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); COMMIT;');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw dataDirErrors.LOCKED({ path: layout.root, holder: describeHolder(layout.pidFile) });
    }
    throw dataDirErrors.UNUSABLE({ path: layout.root, reason: `lock ${layout.lockFile}: ${(err as Error).message}` }, { cause: err });
  }
  writeFileSync(layout.pidFile, `${process.pid}\n`);
  return {
    release() {
      rmSync(layout.pidFile, { force: true });
      db.close();
    },
  };
}

function describeHolder(pidFile: string): string {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
    return Number.isInteger(pid) ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
