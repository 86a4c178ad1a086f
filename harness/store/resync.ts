import { createReadStream } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';

/**
 * Recovery after damage in a capture's compressed data. The writer makes every batch
 * its own gzip member (captures/FORMAT.md), so damage is contained in one member: the
 * members after it decode on their own. Member starts are found by the header every
 * member of ours begins with: magic, deflate, no flags, mtime 0, the level's XFL and
 * OS 3 (`1f 8b 08 00 00 00 00 00 xx 03`), ten fixed bytes that deflate output matches
 * by chance about once in 2^72 positions.
 *
 *   [hdr][member 1][hdr][member 2 ✗ damaged][hdr][member 3][hdr][member 4] …
 *                        └ skipped, counted ┘ └ read again from here ┘
 */
const HEAD = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
const OS_UNIX = 0x03;
const XFL = new Set([0x00, 0x02, 0x04]);
/** A region longer than this is not one of our batches: it is not decoded in memory. */
const MAX_MEMBER = 64 * 1024 * 1024;

export interface Member {
  readonly offset: number;
  readonly bytes: Buffer;
  /** The file ends inside this member (no header follows, the file was cut). */
  readonly last: boolean;
}

/** Our members of a file, in order, by their fixed header; what precedes the first header is not yielded. */
export async function* members(file: string): AsyncGenerator<Member | { offset: number; length: number; tooLong: true }> {
  let buf: Buffer = Buffer.alloc(0);
  /** File offset of buf[0]. */
  let base = 0;
  let start = -1;
  let tooLong = false;
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let from = start < 0 ? 0 : start - base + 1;
      for (;;) {
        const at = findHead(buf, from);
        if (at < 0) break;
        if (start >= 0) {
          if (tooLong) yield { offset: start, length: base + at - start, tooLong: true };
          else yield { offset: start, bytes: buf.subarray(start - base, at), last: false };
        }
        start = base + at;
        tooLong = false;
        from = at + 1;
      }
      // Keep from the current member's start (or the last 9 bytes, a header may be cut across chunks).
      const keepFrom = start >= 0 ? start - base : Math.max(0, buf.length - 9);
      if (start >= 0 && buf.length - keepFrom > MAX_MEMBER) {
        tooLong = true;
        const drop = Math.max(keepFrom + 1, buf.length - 9);
        base += drop;
        buf = buf.subarray(drop);
        continue;
      }
      base += keepFrom;
      buf = buf.subarray(keepFrom);
    }
  } finally {
    stream.destroy();
  }
  if (start >= 0) {
    if (tooLong) yield { offset: start, length: base + buf.length - start, tooLong: true };
    else yield { offset: start, bytes: buf.subarray(start - base), last: true };
  }
}

function findHead(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(HEAD, from); at >= 0; at = buf.indexOf(HEAD, at + 1)) {
    if (at + 10 > buf.length) return -1;
    if (XFL.has(buf[at + 8]!) && buf[at + 9] === OS_UNIX) return at;
  }
  return -1;
}

export type MemberDecode = { readonly ok: true; readonly text: Buffer; readonly cut: boolean } | { readonly ok: false; readonly message: string };

/**
 * Decodes one member strictly (a bad CRC or bad deflate data fails it). The file's last
 * member may end early (a crash): then what it decoded is returned with `cut`.
 */
export function decodeMember(m: Member): MemberDecode {
  try {
    return { ok: true, text: gunzipSync(m.bytes), cut: false };
  } catch (err) {
    if (m.last && /unexpected end of file/i.test((err as Error).message)) {
      try {
        return { ok: true, text: gunzipSync(m.bytes, { finishFlush: constants.Z_SYNC_FLUSH }), cut: true };
      } catch (err2) {
        return { ok: false, message: (err2 as Error).message };
      }
    }
    return { ok: false, message: (err as Error).message };
  }
}
