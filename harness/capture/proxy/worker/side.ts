// What every recording worker does on its own side of the protocol (start.ts is the
// forwarding thread's side): yield the CPU to forwarding, and apply a batch of framed
// messages to an InlineRecording. The capture worker (thread.ts) and the shadow's
// mirror worker share it.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { InlineRecording } from '../recording.ts';
import { ENTRY, ENTRY_FIELDS } from './protocol.ts';

/** A batch as start.ts posts it. */
export interface Batch {
  readonly t: 'batch';
  readonly opens: [number, string, string][];
  readonly meta: Float64Array;
  readonly data: ArrayBuffer;
  readonly bytes: number;
}

/**
 * Recording is best effort and must not slow the traffic it records: the calling thread
 * runs at the lowest CPU priority (nice 19). On Linux nice is per thread, and
 * setpriority(2) on the thread's own id (/proc/thread-self) changes only this thread;
 * elsewhere the call fails and the worker runs at normal priority. It matters when
 * cores are short: on the 2-core bench machine (client, server and proxy on the same
 * cores), one connection, the proxy's p99 was 790–910 µs at equal priority and
 * 390–810 µs at nice 19, where a 10 ms batch of recording work competes with the client.
 */
export function yieldCpuToForwarding(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 19);
  } catch {
    // Not Linux, or not allowed: normal priority.
  }
}

/** Opens, messages, gaps and closes of one batch, in order, into the pipe. */
export function applyBatch(pipe: InlineRecording, m: Batch): void {
  for (const [session, id, client] of m.opens) pipe.open(session, id, client);
  const data = Buffer.from(m.data);
  const meta = m.meta;
  let offset = 0;
  for (let i = 0; i < meta.length; i += ENTRY_FIELDS) {
    const kind = meta[i]!;
    const session = meta[i + 1]!;
    if (kind === ENTRY.close) pipe.close(session);
    else if (kind === ENTRY.gap) pipe.gap(session);
    else {
      const length = meta[i + 4]!;
      pipe.message(session, kind === ENTRY.request, data.subarray(offset, offset + length), meta[i + 2]!, meta[i + 3]!);
      offset += length;
    }
  }
}
