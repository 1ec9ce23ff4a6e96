/**
 * Captured output with a byte cap: keeps the first and the last half of the cap (the start
 * says what ran, the end usually says why it failed) and counts what was dropped between.
 */
export class CappedOutput {
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);
  private dropped = 0;

  constructor(private readonly capBytes: number) {}

  push(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const half = Math.max(1, Math.floor(this.capBytes / 2));
    if (this.head.length < half) {
      const take = buf.subarray(0, half - this.head.length);
      this.head = Buffer.concat([this.head, take]);
      buf = buf.subarray(take.length);
    }
    if (!buf.length) return;
    this.tail = Buffer.concat([this.tail, buf]);
    if (this.tail.length > half) {
      this.dropped += this.tail.length - half;
      this.tail = this.tail.subarray(this.tail.length - half);
    }
  }

  toString(): string {
    const marker = this.dropped ? `\n…[${this.dropped} bytes dropped]…\n` : '';
    return this.head.toString('utf8') + marker + this.tail.toString('utf8');
  }
}

export function capText(text: string, capBytes: number): string {
  const out = new CappedOutput(capBytes);
  out.push(text);
  return out.toString();
}
