import { open, readFile, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { FileIdentity } from './identity.js';

/** Where the shipper stands in one file: everything before `offset` was acknowledged by the bus. */
export interface FileCheckpoint extends FileIdentity {
  path: string;
  offset: number;
}

export interface CheckpointState {
  version: 1;
  /** Source patterns of the run that wrote it: a file matching one of these but absent was created since. */
  patterns: string[];
  saved_at: string;
  files: FileCheckpoint[];
}

export async function loadCheckpoint(path: string): Promise<CheckpointState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const state = JSON.parse(text) as CheckpointState;
  if (state.version !== 1 || !Array.isArray(state.files)) throw new Error(`${path}: not a breakwater checkpoint (version ${String(state.version)})`);
  return state;
}

/**
 * Atomic replace: write a temp file beside it, fsync, rename over, fsync the directory. A crash
 * leaves either the old or the new checkpoint, never a torn one.
 */
export async function saveCheckpoint(path: string, state: CheckpointState): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(JSON.stringify(state, null, 1) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
