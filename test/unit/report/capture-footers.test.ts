import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureFooters } from '../../../harness/report/capture-drops.ts';
import { qualityLines } from '../../../harness/report/format.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { HEADER, sampleRecord } from '../store/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-footers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('capture footers in the report', () => {
  it('count drops and carry an input cut short while capturing into the quality lines', async () => {
    const whole = await openCaptureWriter(join(dir, 'whole.jsonl.gz'), HEADER);
    whole.write(sampleRecord(0));
    await whole.close();
    const cut = await openCaptureWriter(join(dir, 'cut.jsonl.gz'), HEADER);
    cut.write(sampleRecord(0));
    cut.markInputCut({ input: 'mongod.log.gz', at: 'compressed byte 1073', reason: 'gzip ended early' });
    await cut.close();

    expect(await captureFooters([...whole.files])).toEqual({ dropped: 0, inputCut: [] });
    const footers = await captureFooters([...whole.files, ...cut.files]);
    expect(footers.dropped).toBe(0);
    expect(footers.inputCut).toEqual([{ input: 'mongod.log.gz', at: 'compressed byte 1073', reason: 'gzip ended early' }]);

    const quality = { droppedAtCapture: 0, inputCut: footers.inputCut, unparseable: 0, corruptOutcomes: 0, notReplayable: {}, orphanGetMores: 0, records: 1, outcomes: 1, folded: 0 };
    const lines = qualityLines({ quality } as unknown as ReportDocument);
    expect(lines.some((l) => l.startsWith('INPUT CUT SHORT while capturing: mongod.log.gz at compressed byte 1073'))).toBe(true);
  });

  it('know nothing of drops when an input is missing', async () => {
    expect(await captureFooters([join(dir, 'gone.jsonl.gz')])).toEqual({ dropped: null, inputCut: [] });
  });
});
