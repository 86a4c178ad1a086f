import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import { canonicalText } from '../ejson/text.ts';
import { encodeHistogram } from '../histogram.ts';
import type { OperationOutcome } from './outcome.ts';
import { STATE_FILE, type RunState } from './state.ts';
import { HISTOGRAMS_FILE, OUTCOMES_FILE, RUN_JSON, type HistogramEntry, type HistogramLine, type RunJson } from './files.ts';

/**
 * Writes a run directory as the replay goes: outcomes stream to disk with
 * backpressure (one canonical Extended JSON line each, so int32/int64/double and
 * every other BSON type survive), histograms and run.json at the end. run.json is
 * written last and atomically (temp file + rename): a run directory with a run.json
 * is complete or explicitly marked interrupted.
 */
export class RunWriter {
  /** Outcome lines not yet handed to the stream: one write per batch, not per operation. */
  private batch: string[] = [];
  private batchChars = 0;

  private constructor(
    readonly dir: string,
    private readonly out: WriteStream,
  ) {}

  static async open(dir: string): Promise<RunWriter> {
    await mkdir(dir, { recursive: true });
    const out = createWriteStream(join(dir, OUTCOMES_FILE), { flags: 'w', highWaterMark: 1 << 20 });
    await once(out, 'open');
    return new RunWriter(dir, out);
  }

  /**
   * Awaits only when the file stream is behind (backpressure), so the hot path stays synchronous.
   * Lines are canonical EJSON written in one walk (harness/model/ejson/text.ts, the capture store's
   * writer, property-tested to give the driver's characters) instead of `EJSON.stringify`,
   * which builds a wrapper tree first; they go to the stream in batches of BATCH_CHARS,
   * since a stream write per operation put a small fs write behind nearly every op.
   */
  writeOutcome(outcome: OperationOutcome): void | Promise<void> {
    const line = `${canonicalText(outcome) ?? BSON.EJSON.stringify(outcome, { relaxed: false })}\n`;
    this.batch.push(line);
    this.batchChars += line.length;
    if (this.batchChars >= BATCH_CHARS) return this.flush();
  }

  /** Hands the outcomes batched so far to the file now (a live run's outcomes reach the disk while it runs). */
  sync(): void | Promise<void> {
    return this.flush();
  }

  private flush(): void | Promise<void> {
    if (this.batch.length === 0) return;
    const text = this.batch.join('');
    this.batch = [];
    this.batchChars = 0;
    if (!this.out.write(text)) return once(this.out, 'drain').then(() => undefined);
  }

  async finish(histograms: Iterable<HistogramEntry>, run: RunJson): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await writeHistograms(this.dir, histograms);
    await writeRunJson(this.dir, run);
  }
}

/** Outcome text buffered before one stream write (~64 KiB: a few hundred digest-only lines). */
const BATCH_CHARS = 64 * 1024;

export async function writeHistograms(dir: string, histograms: Iterable<HistogramEntry | HistogramLine>): Promise<void> {
  const lines: string[] = [];
  for (const h of histograms) {
    const line: HistogramLine =
      'hist' in h && typeof h.hist === 'string'
        ? (h as HistogramLine)
        : {
            target: h.target,
            app: h.app,
            cmd: h.cmd,
            shape: h.shape,
            shapeText: h.shapeText,
            count: (h as HistogramEntry).hist.totalCount,
            hist: encodeHistogram((h as HistogramEntry).hist),
          };
    lines.push(JSON.stringify(line));
  }
  await writeFile(join(dir, HISTOGRAMS_FILE), lines.length ? `${lines.join('\n')}\n` : '');
}

export async function writeRunJson(dir: string, run: RunJson): Promise<void> {
  const tmp = join(dir, `${RUN_JSON}.tmp`);
  await writeFile(tmp, `${JSON.stringify(run, null, 2)}\n`);
  await rename(tmp, join(dir, RUN_JSON));
}

/** state.json: written once, after the replay's last operation (see state.ts). */
export async function writeRunState(dir: string, state: RunState): Promise<void> {
  await writeFile(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}
