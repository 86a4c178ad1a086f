import type { DecoderContext } from '../../harness/capture/proxy/decoder.ts';
import type { OperationRecord } from '../../harness/model/record.ts';

/** A decoder context for tests: full replies, no redaction, records into `records`, counters and logs ignored unless given. */
export function testDecoderContext(records: OperationRecord[], extra: Partial<DecoderContext> = {}): DecoderContext {
  let seq = 0;
  return {
    replyMode: 'full',
    redact: () => undefined,
    nextSeq: () => seq++,
    emit: (r) => void records.push(r),
    onParseError: () => undefined,
    onAuthSkipped: () => undefined,
    log: () => undefined,
    ...extra,
  };
}
