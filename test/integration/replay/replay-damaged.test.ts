import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../../../harness/replay/run.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { HEADER, sampleRecord } from '../../unit/store/helpers.ts';

/**
 * A capture whose compressed data was damaged in the middle (one flipped byte): the
 * replay goes on with what the reader recovers after the damage and says in run.json how
 * much it skipped, rather than only "records unreadable".
 */
describe('replay of a damaged capture', () => {
  let work: string;
  let capture: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mc-replay-damaged-'));
    capture = join(work, 'cap.jsonl.gz');
    const w = await openCaptureWriter(capture, HEADER, { chunkBytes: 2000 });
    for (let i = 0; i < 300; i++) w.write(sampleRecord(i));
    await w.close();
    const bytes = readFileSync(capture);
    // Gzip members of our writer start with 1f 8b 08 00 … 03; flip a byte in the middle of the third.
    const starts: number[] = [];
    for (let i = 0; i < bytes.length - 10; i++) if (bytes[i] === 0x1f && bytes[i + 1] === 0x8b && bytes[i + 2] === 0x08 && bytes[i + 3] === 0 && bytes[i + 9] === 3) starts.push(i);
    expect(starts.length).toBeGreaterThan(5);
    bytes[Math.floor((starts[3]! + starts[4]!) / 2)]! ^= 0xff;
    writeFileSync(capture, bytes);
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('replays what came before and after the damage and notes the bytes skipped and the records recovered', async () => {
    const { run } = await replay({ captures: [capture], baselines: ['A=ferretdb'], candidates: [], out: join(work, 'run'), concurrency: 4 });
    expect(run.status).toBe('complete');
    const note = run.notes.find((n) => n.includes('damaged compressed data'));
    expect(note, run.notes.join('\n')).toMatch(/1 batch\(es\) and \d+ compressed byte\(s\) skipped; \d+ record\(s\) read after the damage$/);
    const recovered = Number(/(\d+) record\(s\) read after the damage/.exec(note!)![1]);
    expect(recovered).toBeGreaterThan(100);
    // Records before the damage, and those after it, were all replayed; the damaged batch's are missing.
    expect(run.counts.records).toBeGreaterThanOrEqual(recovered + 1);
    expect(run.counts.records).toBeLessThan(300);
  });
});
