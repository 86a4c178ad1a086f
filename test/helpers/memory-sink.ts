import type { OperationRecord, RecordSink } from '../../harness/model/record.ts';

/** A RecordSink that keeps records in memory, with an optional capacity past which it drops and counts. */
export class MemorySink implements RecordSink {
  readonly records: OperationRecord[] = [];
  dropped = 0;
  closed = false;

  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {}

  write(record: OperationRecord): boolean {
    if (this.records.length >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.records.push(record);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
