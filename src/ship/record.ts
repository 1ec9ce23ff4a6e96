import type { HaproxyEvent, ParseResult } from '../haproxy/event.js';
import type { RejectRow } from '../store/store.js';
import type { Line } from './lines.js';
import { eventId } from './identity.js';

/** A reject as published on haproxy.rejects: the store's RejectRow plus its stable id. */
export interface RejectRecord extends RejectRow {
  event_id: string;
}

export type LineOutcome = { event: HaproxyEvent; reject?: undefined } | { event?: undefined; reject: RejectRecord };

export interface LineContext {
  parse(line: string): ParseResult;
  /** This machine (event ids, rejects). */
  host: string;
  /** The file the line came from. */
  source: string;
  /** eventIdPrefix(host, fileId) of that file. */
  idPrefix: string;
  rejectRawMaxBytes: number;
  maxLineBytes: number;
}

function capBytes(text: string, max: number): string {
  if (text.length * 3 <= max) return text;
  const buf = Buffer.from(text);
  return buf.length <= max ? text : buf.subarray(0, max).toString('utf8');
}

/**
 * One line into an event (with event_id, source and raw_offset set) or a reject. Blank lines are
 * skipped (null). Never throws: a parser exception becomes a reject.
 */
export function lineOutcome(line: Line, ctx: LineContext): LineOutcome | null {
  if (line.text.length === 0 && !line.truncated) return null;
  const id = eventId(ctx.idPrefix, line.offset);
  let reason: string;
  if (line.truncated) {
    reason = `line longer than ${ctx.maxLineBytes} bytes`;
  } else {
    let result: ParseResult;
    try {
      result = ctx.parse(line.text);
    } catch (err) {
      result = { ok: false, reject: { reason: `parser error: ${(err as Error).message}`, raw: line.text } };
    }
    if (result.ok) {
      const event = result.event;
      event.source = ctx.source;
      event.raw_offset = line.offset;
      event.event_id = id;
      return { event };
    }
    reason = result.reject.reason;
  }
  return {
    reject: {
      received_at: new Date().toISOString(),
      host: ctx.host,
      source: ctx.source,
      raw_offset: line.offset,
      reason,
      raw: capBytes(line.text, ctx.rejectRawMaxBytes),
      event_id: id,
    },
  };
}
