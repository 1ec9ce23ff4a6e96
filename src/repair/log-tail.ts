import { open } from 'node:fs/promises';

/**
 * The last `maxLines` lines of a log file that contain `needle` (e.g. "app/web1" as HAProxy
 * logs backend/server), looking at most `scanBytes` back from the end. Read in Node, no grep.
 */
export async function tailMatching(path: string, needle: string, maxLines: number, scanBytes: number): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - scanBytes);
    const buf = Buffer.alloc(size - start);
    let read = 0;
    while (read < buf.length) {
      const { bytesRead } = await fh.read(buf, read, buf.length - read, start + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const lines = buf.subarray(0, read).toString('utf8').split('\n');
    // The first line of a window that starts mid-file is partial.
    if (start > 0) lines.shift();
    const matching: string[] = [];
    for (let i = lines.length - 1; i >= 0 && matching.length < maxLines; i--) {
      if (lines[i] && lines[i].includes(needle)) matching.push(lines[i]);
    }
    return matching.reverse();
  } finally {
    await fh.close();
  }
}
