/**
 * An order sync checkpoint in a file of its own: written to a temporary file, flushed to disk,
 * then renamed over the old one (and the directory flushed), so that a crash or power loss
 * leaves either the old checkpoint or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointStore, SyncState } from './checkpoint';

/** A file name from any key: letters, digits, '.', '_' and '-' kept, anything else as '_'. */
export function checkpointFileName(key: string): string {
  return `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

export class FileCheckpointStore implements CheckpointStore {
  readonly path: string;

  constructor(
    readonly dir: string,
    key: string,
  ) {
    this.path = join(dir, checkpointFileName(key));
  }

  async load(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // not JSON: the sync reports it as an invalid checkpoint and starts afresh
    }
  }

  async save(state: SyncState): Promise<void> {
    const text = JSON.stringify(state); // before anything yields: the caller goes on changing the state
    await mkdir(this.dir, { recursive: true });
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    await syncDirectory(this.dir);
  }
}

/** Flushes a directory entry (the rename) to disk; some platforms cannot open a directory: then nothing. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there
  } finally {
    await handle?.close();
  }
}
