import { createSocket, type Socket } from 'node:dgram';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A UDP syslog receiver writing what rsyslog would write to /var/log/haproxy.log: each
 * datagram becomes one line `Mmm dd hh:mm:ss HOST haproxy[PID]: MESSAGE`, the `<PRI>` dropped
 * and the hostname inserted when the sender did not send one.
 */
export class SyslogFileReceiver {
  private constructor(
    private readonly socket: Socket,
    private readonly out: WriteStream,
    readonly port: number,
  ) {}

  /** Counts datagrams received (not necessarily flushed to the file yet). */
  received = 0;

  static async start(logFile: string, hostname: string): Promise<SyslogFileReceiver> {
    const out = createWriteStream(logFile, { flags: 'a' });
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const receiver = new SyslogFileReceiver(socket, out, socket.address().port);
    socket.on('message', (msg) => {
      receiver.received++;
      out.write(toFileLine(msg.toString('utf8'), hostname) + '\n');
    });
    return receiver;
  }

  async close(): Promise<void> {
    this.socket.close();
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

const RFC3164 = /^<\d{1,3}>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (.*)$/s;
const TAG_FIRST = /^[\w./-]+(\[\d+\])?: /;

/** `<134>Nov 21 00:10:00 [host ]haproxy[12]: msg\n` → `Nov 21 00:10:00 host haproxy[12]: msg`. */
export function toFileLine(datagram: string, hostname: string): string {
  const text = datagram.replace(/[\r\n]+$/, '').replace(/\n/g, ' ');
  const m = RFC3164.exec(text);
  if (!m) return text;
  const [, stamp, rest] = m;
  return TAG_FIRST.test(rest) ? `${stamp} ${hostname} ${rest}` : `${stamp} ${rest}`;
}
