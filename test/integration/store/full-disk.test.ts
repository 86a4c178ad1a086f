import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { mountSmallDisk } from '../../helpers/small-disk.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { readCapture } from '../../../harness/store/reader.ts';
import type { CaptureFooter } from '../../../harness/store/footer.ts';
import { HEADER, sampleRecord } from '../../unit/store/helpers.ts';


const disk = mountSmallDisk('256k', 'mc-fulldisk-');
const why = typeof disk === 'string' ? disk : '';

describe.skipIf(typeof disk === 'string')(`the capture writer on a full disk${why ? ` (skipped: ${why})` : ''}`, () => {
  const d = disk as { dir: string; unmount: () => void };
  afterAll(() => d.unmount());

  it('says so at once, counts every record it could not write as dropped, and the file, footer and counts agree', async () => {
    const errors: Error[] = [];
    const path = join(d.dir, 'cap.jsonl.gz');
    const w = await openCaptureWriter(path, HEADER, { chunkBytes: 16 * 1024, onError: (e) => errors.push(e) });
    let accepted = 0;
    let refused = 0;
    // Incompressible payloads: the disk fills after a few dozen batches.
    for (let i = 0; i < 400 && errors.length === 0; i++) {
      if (w.write(sampleRecord(i, 'p1:1', { command: { insert: 'c', documents: [{ blob: randomBytes(3000).toString('base64') }], $db: 'prod' } }))) accepted++;
      else refused++;
      if (i % 10 === 9) await w.drain();
    }
    // The failure is known before close.
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOSPC');
    // Records offered after the failure are refused and counted.
    expect(w.write(sampleRecord(10_000))).toBe(false);
    refused++;
    const closing = await w.close().catch((e: unknown) => e);
    expect(closing).toMatchObject({ code: 'MC_CAPTURE_WRITE' });
    expect((closing as Error).message).toMatch(/ENOSPC/);
    expect(w.lost).toBeGreaterThan(0);
    expect(w.dropped).toBe(refused + w.lost);
    expect(w.written).toBe(accepted - w.lost);

    // Free the disk so the file can be read back as it is.
    let read = 0;
    let footer: CaptureFooter | undefined;
    const issues: string[] = [];
    for await (const r of readCapture(path, { onFooter: (f) => (footer = f), onIssue: (i) => issues.push(i.code) })) {
      expect(r.seq).toBe(read);
      read++;
    }
    expect(read).toBe(w.written);
    // Every whole member was kept and a failed one cut back: nothing damaged inside the file.
    expect(issues.filter((c) => c === 'MC_CAPTURE_GZIP')).toEqual([]);
    // The footer, when there was room for it, agrees.
    if (footer) {
      expect(footer.records).toBe(w.written);
      expect(footer.dropped).toBe(w.dropped);
    }
  });
});

