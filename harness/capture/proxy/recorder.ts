import type { OperationRecord, RecordSink } from '../../model/record.ts';

/**
 * Fail-open wrapper around the capture sink: the proxy hands every record here and
 * never waits. A full sink (write → false) counts a drop; a sink that throws is
 * treated as crashed: it is not called again, every later record counts as dropped,
 * and traffic keeps flowing.
 */
export class FailOpenRecorder {
  recorded = 0;
  dropped = 0;
  crashed: unknown;

  constructor(
    private readonly sink: RecordSink,
    private readonly log: (line: string) => void,
  ) {}

  write(record: OperationRecord): void {
    if (this.crashed !== undefined) {
      this.dropped++;
      return;
    }
    try {
      if (this.sink.write(record)) this.recorded++;
      else this.dropped++;
    } catch (err) {
      this.crashed = err ?? new Error('recorder failed');
      this.dropped++;
      this.log(`proxy: recorder failed, recording stops, traffic continues: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
