import type { CaptureIssue } from '../store/reader.ts';
import { readCapture } from '../store/reader.ts';
import { groupRecordings, recordingConn } from '../store/captures.ts';
import { Linter, maxSeverity } from './engine.ts';
import { LINT_FORMAT, LINT_FORMAT_VERSION, type LintResult } from './result.ts';
import type { Rule } from './types.ts';
import { scanSources } from './source-scan.ts';
import type { PathVersion } from './types.ts';

export interface LintOptions {
  readonly from: PathVersion;
  readonly to: PathVersion;
  /** Application source directories to scan for rule names (lower confidence). */
  readonly sourceDirs?: readonly string[];
  /** Bad capture lines: reported and skipped. */
  readonly onIssue?: (issue: CaptureIssue) => void;
  readonly rules?: readonly Rule[];
}

/**
 * Lints captures, streaming: each record is read once, run through the rules of the
 * steps from `from` to `to`, and dropped. A file that is not a capture at all throws its
 * CompatError (MC_CAPTURE_UNREADABLE, MC_CAPTURE_VERSION); bad lines inside one are
 * reported through `onIssue` and skipped.
 */
export async function lintCaptures(files: readonly string[], options: LintOptions): Promise<LintResult> {
  const linter = new Linter({ from: options.from, to: options.to, ...(options.rules ? { rules: options.rules } : {}) });
  let records = 0;
  let skipped = 0;
  let headerApp: string | undefined;
  // Separate recordings (two proxies) number their connections alike: named apart, as a
  // replay names them (store/captures.ts), so one recording's connections are not
  // counted with another's. Each is read whole, its own header's app the default.
  const recordings = await groupRecordings(files);
  for (const [k, recording] of recordings.entries()) {
    const stream = readCapture(recording.files, {
      onHeader: (h) => {
        headerApp = h.app;
      },
      onIssue: (i) => {
        skipped++;
        options.onIssue?.(i);
      },
    });
    for await (const record of stream) {
      records++;
      linter.add(recordings.length > 1 ? { ...record, conn: recordingConn(k, record.conn) } : record, headerApp);
    }
  }
  const apps = linter.result();
  const source = options.sourceDirs && options.sourceDirs.length > 0 ? await scanSources(options.sourceDirs, { from: options.from, to: options.to, ...(options.rules ? { rules: options.rules } : {}) }) : undefined;
  return {
    format: LINT_FORMAT,
    version: LINT_FORMAT_VERSION,
    from: options.from,
    to: options.to,
    captures: [...files],
    records,
    skipped,
    ignored: linter.ignored,
    apps,
    ...(source ? { source } : {}),
    maxSeverity: maxSeverity(apps),
  };
}
