import type { BSON } from 'mongodb';
import { canonicalCommandName } from '../model/command-name.ts';
import type { OperationRecord } from '../model/record.ts';
import { shapeOf, type Shape } from '../model/shape.ts';

type Document = BSON.Document;

/** Deeper than any real command (the server's own limit is 100 levels of BSON nesting, 180 for aggregation). */
const MAX_DEPTH = 200;

/**
 * One capture record as the rules read it: the canonical command name and the parts
 * rules look at (filters, projection, sort, pipeline stages, operators used anywhere,
 * JavaScript code) computed once, on first use, so sixty rules over a million records
 * walk each command at most once. Everything is derived from the record alone: a view
 * is pure and the rules over it stay pure.
 */
export class OperationView {
  readonly record: OperationRecord;
  /** `findandmodify` → `findAndModify` (harness/model/command-name.ts). */
  readonly name: string;
  readonly body: Document;
  private _operators?: ReadonlySet<string>;
  private _code?: readonly string[];
  private _filters?: readonly Document[];
  private _stages?: readonly Document[];
  private _shape?: Shape;

  constructor(record: OperationRecord) {
    this.record = record;
    this.name = canonicalCommandName(record.cmd);
    this.body = isDoc(record.command) ? record.command : {};
  }

  get opcode(): OperationRecord['op'] {
    return this.record.op;
  }

  /** A field of the command body. */
  get(key: string): unknown {
    return Object.hasOwn(this.body, key) ? this.body[key] : undefined;
  }

  /** The query shape (model/shape.ts), computed for operations that hit a rule only. */
  get shape(): Shape {
    if (!this._shape) {
      try {
        this._shape = shapeOf(this.body);
      } catch {
        this._shape = { id: '000000000000', text: this.name };
      }
    }
    return this._shape;
  }

  /** The projection of a find (or `fields` of findAndModify), if a document. */
  get projection(): Document | undefined {
    if (this.name === 'find') return docOr(this.get('projection'));
    if (this.name === 'findAndModify') return docOr(this.get('fields'));
    return undefined;
  }

  /** The sort of a find or findAndModify, if a document. */
  get sort(): Document | undefined {
    return this.name === 'find' || this.name === 'findAndModify' ? docOr(this.get('sort')) : undefined;
  }

  /** The top-level pipeline of an aggregate (or of a view `create`). */
  get pipeline(): readonly Document[] | undefined {
    if (this.name !== 'aggregate' && this.name !== 'create') return undefined;
    const p = this.get('pipeline');
    return Array.isArray(p) ? p.filter(isDoc) : undefined;
  }

  /** Every stage, nested ones too: `$lookup`/`$unionWith` pipelines and `$facet` branches. */
  get stages(): readonly Document[] {
    if (!this._stages) {
      const out: Document[] = [];
      collectStages(this.pipeline ?? [], out, 0);
      this._stages = out;
    }
    return this._stages;
  }

  /**
   * Every query predicate of the operation: find/count/distinct/findAndModify/mapReduce
   * filters, each update and delete statement's `q`, every `$match` (nested too) and
   * `$geoNear.query`.
   */
  get filters(): readonly Document[] {
    if (!this._filters) {
      const out: Document[] = [];
      const add = (v: unknown): void => {
        if (isDoc(v)) out.push(v);
      };
      switch (this.name) {
        case 'find':
          add(this.get('filter'));
          break;
        case 'count':
        case 'distinct':
        case 'findAndModify':
        case 'mapReduce':
          add(this.get('query'));
          break;
        case 'update':
        case 'delete': {
          const list = this.get(this.name === 'update' ? 'updates' : 'deletes');
          if (Array.isArray(list)) for (const s of list) if (isDoc(s)) add(s.q);
          break;
        }
        default:
          break;
      }
      for (const stage of this.stages) {
        add(stage.$match);
        if (isDoc(stage.$geoNear)) add(stage.$geoNear.query);
      }
      this._filters = out;
    }
    return this._filters;
  }

  /** Every `$`-prefixed key anywhere in the command. */
  get operators(): ReadonlySet<string> {
    if (!this._operators) this.walk();
    return this._operators!;
  }

  /** Every piece of JavaScript in the command: BSON Code (with or without scope) and `$where`/`$function`/`$accumulator`/mapReduce strings. */
  get code(): readonly string[] {
    if (!this._code) this.walk();
    return this._code!;
  }

  /** Whether any JavaScript in the command is code with scope (BSON type 15). */
  hasCodeWithScope(): boolean {
    let found = false;
    visit(this.body, 0, (_k, v) => {
      if (bsonType(v) === 'Code' && isDoc((v as { scope?: unknown }).scope)) found = true;
    });
    return found;
  }

  private walk(): void {
    const ops = new Set<string>();
    const code: string[] = [];
    visit(this.body, 0, (key, value) => {
      if (key.startsWith('$')) ops.add(key);
      if (bsonType(value) === 'Code') code.push(String((value as { code?: unknown }).code ?? ''));
      else if (typeof value === 'string' && JS_KEYS.has(key)) code.push(value);
    });
    if (this.name === 'mapReduce') for (const k of ['map', 'reduce', 'finalize']) if (typeof this.body[k] === 'string') code.push(this.body[k] as string);
    this._operators = ops;
    this._code = code;
  }
}

/** Keys whose string value is JavaScript source. */
const JS_KEYS = new Set(['$where', 'body', 'init', 'accumulate', 'merge', 'finalize']);

function collectStages(list: readonly unknown[], out: Document[], depth: number): void {
  if (depth > 20) return;
  for (const stage of list) {
    if (!isDoc(stage)) continue;
    out.push(stage);
    const lookup = stage.$lookup ?? stage.$graphLookup;
    if (isDoc(lookup) && Array.isArray(lookup.pipeline)) collectStages(lookup.pipeline, out, depth + 1);
    if (isDoc(stage.$unionWith) && Array.isArray(stage.$unionWith.pipeline)) collectStages(stage.$unionWith.pipeline, out, depth + 1);
    if (isDoc(stage.$facet)) for (const branch of Object.values(stage.$facet)) if (Array.isArray(branch)) collectStages(branch, out, depth + 1);
  }
}

/** Calls `fn` for every key/value pair of nested documents and every array element (key ''), to a bounded depth. */
export function visit(value: unknown, depth: number, fn: (key: string, value: unknown) => void): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (const v of value) {
      fn('', v);
      visit(v, depth + 1, fn);
    }
    return;
  }
  if (!isDoc(value)) return;
  for (const k of Object.keys(value)) {
    const v = value[k];
    fn(k, v);
    visit(v, depth + 1, fn);
  }
}

/** A plain document: not an array, not a BSON value, not a Date/RegExp/bytes. */
export function isDoc(value: unknown): value is Document {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) return false;
  return !('_bsontype' in value);
}

export function docOr(value: unknown): Document | undefined {
  return isDoc(value) ? value : undefined;
}

export function bsonType(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const t = (value as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
}

/** A number of any BSON numeric class (or a plain JS number), else undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const t = bsonType(value);
  if (t === 'Int32' || t === 'Double') return Number((value as { value: unknown }).value);
  if (t === 'Long' || t === 'Decimal128') {
    const n = Number(String(value));
    return Number.isNaN(n) && String(value) !== 'NaN' ? undefined : n;
  }
  return undefined;
}
