import { existsSync } from 'node:fs';
import { readCapture } from '../store/reader.ts';

/**
 * Records the capture dropped (writer behind), from the footer each capture file gets
 * when its writer closes it. Null when it cannot be known: an input is gone, or a
 * file has no footer (the writer crashed or was never closed). Streams each file to
 * its end, as the footer is its last line; memory stays flat.
 */
export async function captureDrops(inputs: readonly string[]): Promise<number | null> {
  if (inputs.length === 0 || !inputs.every((f) => existsSync(f))) return null;
  let dropped = 0;
  let known = true;
  try {
    for await (const rec of readCapture(inputs, {
      onFooter: (footer) => {
        if (footer) dropped += footer.dropped;
        else known = false;
      },
    })) {
      void rec;
    }
  } catch {
    return null; // unreadable captures are the replay's concern; here the count is just unknown
  }
  return known ? dropped : null;
}
