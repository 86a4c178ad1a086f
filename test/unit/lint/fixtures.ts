import { readdirSync, readFileSync } from 'node:fs';
import { BSON } from 'mongodb';
import type { OperationRecord } from '../../../harness/model/record.ts';

/**
 * The lint case table: test/fixtures/lint/v<step>.json, one case per rule, each with
 * operations that must hit it (`hit`) and close ones that must not (`miss`). Operations
 * are partial capture records in Extended JSON (`command` plus what the rule reads:
 * `op`, `conn`, `coll`, `error`); the rest is filled in here.
 */
export interface LintCase {
  readonly file: string;
  readonly rule: string;
  readonly hit: OperationRecord[];
  readonly miss: OperationRecord[];
}

type Partial = Pick<OperationRecord, 'command'> & Partial2;
type Partial2 = { [K in keyof OperationRecord]?: OperationRecord[K] };

const dir = new URL('../../fixtures/lint/', import.meta.url);

export function toRecord(p: Partial, seq: number): OperationRecord {
  const cmd = Object.keys(p.command)[0] ?? '';
  const coll = typeof p.command[cmd] === 'string' ? (p.command[cmd] as string) : undefined;
  return {
    seq,
    t: 1_700_000_000_000_000 + seq,
    dur: 100,
    conn: 'c1',
    app: 'fixture',
    db: typeof p.command.$db === 'string' ? p.command.$db : 'app',
    ...(coll !== undefined ? { coll } : {}),
    cmd,
    op: 'OP_MSG',
    ...p,
    // Extended JSON reads `code: 96` as an Int32; the record holds a plain number.
    ...(p.error ? { error: { ...p.error, ...(p.error.code !== undefined ? { code: Number(p.error.code.valueOf()) } : {}) } } : {}),
  } as OperationRecord;
}

export function loadCases(): LintCase[] {
  const out: LintCase[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const cases = BSON.EJSON.parse(readFileSync(new URL(file, dir), 'utf8'), { relaxed: false }) as unknown as { rule: string; hit: Partial[]; miss: Partial[] }[];
    for (const c of cases) out.push({ file, rule: c.rule, hit: c.hit.map(toRecord), miss: c.miss.map(toRecord) });
  }
  return out;
}
