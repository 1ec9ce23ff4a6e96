/**
 * Backfill progress on stderr: a bar redrawn in place on a terminal (lines/s, percent by bytes,
 * ETA), a plain line every `plainEveryMs` otherwise (logs, CI).
 */
export interface ProgressSnapshot {
  lines: number;
  bytesDone: number;
  bytesTotal: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function formatProgress(p: ProgressSnapshot, elapsedSeconds: number, width = 24): string {
  const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 1;
  const rate = elapsedSeconds > 0 ? p.lines / elapsedSeconds : 0;
  const eta = fraction > 0 ? (elapsedSeconds * (1 - fraction)) / fraction : Infinity;
  const filled = Math.round(fraction * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `[${bar}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${p.lines.toLocaleString('en-US')} lines  ${Math.round(rate).toLocaleString('en-US')} lines/s  ETA ${duration(eta)}`;
}

export class Progress {
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private lastPlain = 0;

  constructor(
    private readonly snapshot: () => ProgressSnapshot,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(false), this.out.isTTY ? 200 : 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.draw(true);
  }

  private draw(final: boolean): void {
    const text = formatProgress(this.snapshot(), (Date.now() - this.started) / 1000);
    if (this.out.isTTY) {
      this.out.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    } else if (final || Date.now() - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = Date.now();
      this.out.write(`backfill: ${text}\n`);
    }
  }
}
