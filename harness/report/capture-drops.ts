import { existsSync } from 'node:fs';
import type { InputCut } from '../store/footer.ts';
import { readCapture } from '../store/reader.ts';

/**
 * What the captures' footers say about their own completeness: records dropped because
 * the writer fell behind (null when it cannot be known: an input is gone, or a file has
 * no footer because its writer crashed or was never closed), and inputs that were cut
 * short while the capture was made (ingest of a cut gzip log, a dead profiler cursor).
 * Streams each file to its end, as the footer is its last line; memory stays flat.
 */
export interface CaptureFooters {
  readonly dropped: number | null;
  readonly inputCut: readonly InputCut[];
}

export async function captureFooters(inputs: readonly string[]): Promise<CaptureFooters> {
  if (inputs.length === 0 || !inputs.every((f) => existsSync(f))) return { dropped: null, inputCut: [] };
  let dropped = 0;
  let known = true;
  const inputCut: InputCut[] = [];
  try {
    for await (const rec of readCapture(inputs, {
      onFooter: (footer) => {
        if (footer) {
          dropped += footer.dropped;
          if (footer.inputCut) inputCut.push(footer.inputCut);
        } else known = false;
      },
    })) {
      void rec;
    }
  } catch {
    return { dropped: null, inputCut }; // unreadable captures are the replay's concern; here the count is just unknown
  }
  return { dropped: known ? dropped : null, inputCut };
}
