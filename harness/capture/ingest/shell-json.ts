import { BSON } from 'mongodb';

/**
 * A tolerant parser for the loose JSON that mongod 4.2 prints in plain-text log lines
 * (`BSONObj::toString`) and that the mongo shell prints: unquoted keys, single or
 * double quoted strings, `ObjectId('…')`, `new Date(ms)`, `NumberLong(…)`,
 * `Timestamp(s, i)`, `BinData(sub, HEX)`, `UUID("…")`, `/re/flags`, `MinKey`…, and
 * mongosh's `Long(…)`, `Int32(…)`, `Double(…)`, `Decimal128(…)`, `ISODate(…)`
 *
 * It never throws: it returns the value and where it stopped, or where and why it
 * failed. Elisions (`...` or `…`, as in `{ … }` or `[ 1, 2, ... ]`) are skipped and
 * reported as `truncated`, so the caller can mark the operation not replayable.
 *
 * Numbers follow the server's printing: an integer literal is Int32 when it fits and
 * Long otherwise (the server prints NumberLong values bare, so a small Long reads back
 * as Int32: numerically equal, type narrowed); a literal with `.`/`e` is a Double.
 */
export type ShellParseResult =
  | { readonly ok: true; readonly value: unknown; readonly end: number; readonly truncated: boolean }
  | { readonly ok: false; readonly error: string; readonly at: number };

/** Deep enough for any real command; bounded so hostile input cannot overflow the stack. */
const MAX_DEPTH = 200;

class Fail {
  constructor(
    readonly error: string,
    readonly at: number,
  ) {}
}

export function parseShellJson(text: string, start = 0): ShellParseResult {
  const p = new Parser(text, start);
  try {
    p.ws();
    const value = p.value(0);
    return { ok: true, value, end: p.pos, truncated: p.truncated };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, error: err.error, at: err.at };
    // Anything else is a bug in a BSON constructor fed odd input: report, never throw.
    return { ok: false, error: (err as Error)?.message ?? String(err), at: p.pos };
  }
}

/** Parses a whole document (`{ … }`) starting at `start`. */
export function parseShellDocument(text: string, start = 0): ShellParseResult {
  let i = start;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (text[i] !== '{') return { ok: false, error: 'expected "{"', at: i };
  return parseShellJson(text, i);
}

const ELLIPSIS = '\u2026';
/** Sticky (`y`): matched in place at `lastIndex`, no substring per value (measured: less GC on long lines). */
const NUMBER = /[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf(?:inity)?|nan)/iy;
const WORD = /(?:new\s+)?([A-Za-z_$][\w$]*)/y;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

class Parser {
  pos: number;
  truncated = false;

  constructor(
    readonly s: string,
    start: number,
  ) {
    this.pos = start;
  }

  fail(msg: string): never {
    throw new Fail(msg, this.pos);
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length && isSpace(s.charCodeAt(this.pos))) this.pos++;
  }

  /** True (and consumed) when an elision marker starts here. */
  elision(): boolean {
    if (this.s.startsWith('...', this.pos)) {
      this.pos += 3;
      while (this.s[this.pos] === '.') this.pos++;
      this.truncated = true;
      return true;
    }
    if (this.s[this.pos] === ELLIPSIS) {
      this.pos += 1;
      this.truncated = true;
      return true;
    }
    return false;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const c = this.s[this.pos];
    if (c === undefined) this.fail('unexpected end of text');
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"' || c === "'") return this.string();
    if (c === '/') return this.regex();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9') || c === '.') {
      if (c === '.' && !/^\.\d/.test(this.s.slice(this.pos, this.pos + 2))) this.fail('unexpected "."');
      return this.number();
    }
    return this.word(depth);
  }

  object(depth: number): Record<string, unknown> {
    this.pos++; // {
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.elision()) {
        this.ws();
        // `…, key: v` or `… key: v` (the elision stood for the separator too).
        const n = this.s[this.pos];
        if (n !== ',' && n !== '}' && n !== undefined) continue;
      } else {
        const key = this.key();
        this.ws();
        if (this.elision()) {
          // `key: …`: the value itself was elided.
          this.ws();
        } else {
          const v = this.value(depth);
          // A `__proto__` key must become a field, not the prototype; defineProperty on
          // every key would drop the object into slow dictionary mode (measured: 3x slower).
          if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
          else out[key] = v;
          this.ws();
        }
      }
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        this.ws();
        if (this.s[this.pos] === '}') {
          this.pos++;
          return out;
        }
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      // `{ a: 1 ... }` without a comma before the elision.
      if (c === '.' || c === ELLIPSIS) continue;
      this.fail(c === undefined ? 'unterminated document' : `expected "," or "}" but found "${c}"`);
    }
  }

  /** Keys: quoted, or bare up to the `:` that is followed by a space or a value (`a.b`, `$db`, `urn:x:y: 1`). */
  key(): string {
    const c = this.s[this.pos];
    if (c === '"' || c === "'") {
      const k = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') this.fail('expected ":" after key');
      this.pos++;
      return k;
    }
    const s = this.s;
    const start = this.pos;
    // The server prints `key: value`, and a key may itself hold colons (`urn:x:2:User: {…}`),
    // so a ':' ends the key only when a value clearly starts after it.
    for (let i = start; i < s.length; i++) {
      const c = s[i]!;
      if (c === ':') {
        const next = s[i + 1];
        const ends =
          next === undefined ||
          isSpace(next.charCodeAt(0)) ||
          '{["\'/'.includes(next) ||
          /^[-+]?[\d.]+(?:[eE][-+]?\d+)?(?=$|[\s,}\]])/.test(s.slice(i + 1, i + 40));
        if (ends) {
          if (i === start) this.fail('empty key');
          this.pos = i + 1;
          return s.slice(start, i);
        }
        continue;
      }
      if (isSpace(s.charCodeAt(i)) || ',{}[]'.includes(c)) {
        this.pos = i;
        this.fail('expected a key');
      }
    }
    this.pos = s.length;
    return this.fail('expected ":" after key');
  }

  array(depth: number): unknown[] {
    this.pos++; // [
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.elision()) {
        this.ws();
        const n = this.s[this.pos];
        if (n !== ',' && n !== ']' && n !== undefined) continue;
      } else {
        out.push(this.value(depth));
      }
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        this.ws();
        if (this.s[this.pos] === ']') {
          this.pos++;
          return out;
        }
        continue;
      }
      if (c === ']') {
        this.pos++;
        return out;
      }
      if (c === '.' || c === ELLIPSIS) continue;
      this.fail(c === undefined ? 'unterminated array' : `expected "," or "]" but found "${c}"`);
    }
  }

  string(): string {
    const s = this.s;
    const quote = s[this.pos]!;
    let i = this.pos + 1;
    let out = '';
    let from = i;
    for (;;) {
      if (i >= s.length) {
        this.pos = i;
        this.fail('unterminated string');
      }
      const c = s[i];
      if (c === quote) {
        out += s.slice(from, i);
        this.pos = i + 1;
        return out;
      }
      if (c === '\\') {
        out += s.slice(from, i);
        const e = s[i + 1];
        i += 2;
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case '0':
            out += '\0';
            break;
          case 'x': {
            const hex = s.slice(i, i + 2);
            if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
              this.pos = i;
              this.fail('bad \\x escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 2;
            break;
          }
          case 'u': {
            const hex = s.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.pos = i;
              this.fail('bad \\u escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          case undefined:
            this.pos = i;
            this.fail('unterminated string');
            break;
          default:
            out += e; // \" \' \\ \/ and anything else stands for itself
        }
        from = i;
        continue;
      }
      i++;
    }
  }

  regex(): BSON.BSONRegExp {
    const s = this.s;
    let i = this.pos + 1;
    let inClass = false;
    for (;;) {
      const c = s[i];
      if (c === undefined || c === '\n') {
        this.pos = i;
        this.fail('unterminated regex');
      }
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
      i++;
    }
    const pattern = s.slice(this.pos + 1, i);
    i++;
    const flagStart = i;
    while (i < s.length && /[a-z]/.test(s[i]!)) i++;
    const flags = s.slice(flagStart, i).split('').sort().join('');
    this.pos = i;
    return new BSON.BSONRegExp(pattern, flags);
  }

  number(): unknown {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('bad number');
    const text = m[0];
    this.pos += text.length;
    return numberFromText(text, (msg) => this.fail(msg));
  }

  /** Bare words: constants and constructors (`ObjectId(…)`, `new Date(…)`, …). */
  word(depth: number): unknown {
    WORD.lastIndex = this.pos;
    const m = WORD.exec(this.s);
    if (!m) this.fail(`unexpected "${this.s[this.pos]}"`);
    const name = m[1]!;
    const after = this.pos + m[0].length;
    if (this.s[after] !== '(') {
      this.pos = after;
      switch (name) {
        case 'true':
          return true;
        case 'false':
          return false;
        case 'null':
          return null;
        case 'undefined':
          return undefined;
        case 'MinKey':
          return new BSON.MinKey();
        case 'MaxKey':
          return new BSON.MaxKey();
        case 'inf':
        case 'Infinity':
          return new BSON.Double(Infinity);
        case 'nan':
        case 'NaN':
          return new BSON.Double(NaN);
        case 'Timestamp': {
          // Pre-3.x servers printed `Timestamp 1592301327|1`.
          const t = /^\s+(\d+)\|(\d+)/.exec(this.s.slice(after, after + 40));
          if (t) {
            this.pos = after + t[0].length;
            return new BSON.Timestamp({ t: Number(t[1]), i: Number(t[2]) });
          }
          this.fail('bad Timestamp');
          break;
        }
        default:
          this.fail(`unknown word "${name}"`);
      }
    }
    this.pos = after + 1;
    const args = this.args(depth, name === 'BinData');
    return construct(name, args, (msg) => this.fail(msg));
  }

  /** Constructor arguments: values, plus the bare hex of `BinData(0, 00FF…)`. */
  args(depth: number, bareHexAllowed: boolean): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === ')') {
        this.pos++;
        return out;
      }
      const hex = /^[0-9A-Fa-f]+(?=\s*\))/.exec(this.s.slice(this.pos, this.pos + 100_000));
      if (bareHexAllowed && out.length > 0 && hex) {
        out.push({ bareHex: hex[0] });
        this.pos += hex[0].length;
      } else {
        out.push(this.value(depth + 1));
      }
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== ')') this.fail('expected "," or ")"');
    }
  }
}

function numberFromText(text: string, fail: (msg: string) => never): unknown {
  const lower = text.toLowerCase();
  if (/inf/.test(lower)) return new BSON.Double(lower.startsWith('-') ? -Infinity : Infinity);
  if (/nan/.test(lower)) return new BSON.Double(NaN);
  if (/^[-+]?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return new BSON.Int32(n);
    try {
      const big = BigInt(text.replace(/^\+/, ''));
      if (big >= -(2n ** 63n) && big < 2n ** 63n) return BSON.Long.fromBigInt(big);
    } catch {
      fail('bad integer');
    }
    return new BSON.Double(n);
  }
  const n = Number(text);
  if (Number.isNaN(n)) fail('bad number');
  return new BSON.Double(n);
}

function construct(name: string, args: unknown[], fail: (msg: string) => never): unknown {
  const str = (i: number): string => {
    const a = args[i];
    if (typeof a === 'string') return a;
    if (a && typeof a === 'object' && 'bareHex' in a) return (a as { bareHex: string }).bareHex;
    const n = asNumber(a);
    if (n !== undefined) return String(n);
    return fail(`${name}: argument ${i + 1} must be a string`);
  };
  const num = (i: number): number => {
    const n = asNumber(args[i]);
    if (n === undefined) {
      const s = args[i];
      if (typeof s === 'string' && s.trim() !== '' && !Number.isNaN(Number(s))) return Number(s);
      return fail(`${name}: argument ${i + 1} must be a number`);
    }
    return n;
  };
  switch (name) {
    case 'ObjectId': {
      const hex = args.length === 0 ? '' : str(0);
      if (!/^[0-9a-fA-F]{24}$/.test(hex)) fail('ObjectId needs 24 hex digits');
      return BSON.ObjectId.createFromHexString(hex.toLowerCase());
    }
    case 'Date':
    case 'ISODate': {
      if (args.length === 0) fail(`${name} needs an argument`);
      const a = args[0];
      const d = typeof a === 'string' ? new Date(a) : new Date(num(0));
      if (Number.isNaN(d.getTime())) fail(`${name}: invalid date`);
      return d;
    }
    case 'NumberLong':
    case 'Long': {
      const text = str(0).trim();
      if (!/^[-+]?\d+$/.test(text)) fail('NumberLong needs an integer');
      const big = BigInt(text.replace(/^\+/, ''));
      if (big < -(2n ** 63n) || big >= 2n ** 63n) fail('NumberLong out of range');
      return BSON.Long.fromBigInt(big);
    }
    case 'NumberInt':
    case 'Int32': {
      const n = num(0);
      if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) fail('NumberInt out of range');
      return new BSON.Int32(n);
    }
    case 'NumberDecimal':
    case 'Decimal128': {
      const text = str(0);
      try {
        return BSON.Decimal128.fromString(text);
      } catch {
        return fail('NumberDecimal: invalid value');
      }
    }
    case 'Timestamp': {
      const t = num(0);
      const i = num(1);
      if (!isUint32(t) || !isUint32(i)) fail('Timestamp fields must be unsigned 32-bit integers');
      return new BSON.Timestamp({ t, i });
    }
    case 'BinData': {
      const subtype = num(0);
      if (!Number.isInteger(subtype) || subtype < 0 || subtype > 255) fail('BinData subtype must be 0-255');
      const a = args[1];
      let bytes: Buffer;
      if (a && typeof a === 'object' && 'bareHex' in a) {
        const hex = (a as { bareHex: string }).bareHex;
        if (hex.length % 2 !== 0) fail('BinData hex must have an even length');
        bytes = Buffer.from(hex, 'hex');
      } else if (typeof a === 'string') {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a)) fail('BinData base64 is invalid');
        bytes = Buffer.from(a, 'base64');
      } else if (a === undefined && args.length === 1) {
        // The server prints empty binary data as `BinData(0, )`.
        bytes = Buffer.alloc(0);
      } else {
        return fail('BinData needs data');
      }
      return new BSON.Binary(bytes, subtype);
    }
    case 'HexData': {
      const subtype = num(0);
      const hex = str(1);
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex) || !Number.isInteger(subtype) || subtype < 0 || subtype > 255) fail('HexData is invalid');
      return new BSON.Binary(Buffer.from(hex, 'hex'), subtype);
    }
    case 'UUID': {
      const hex = str(0).replace(/-/g, '');
      if (!/^[0-9a-fA-F]{32}$/.test(hex)) fail('UUID needs 32 hex digits');
      return new BSON.Binary(Buffer.from(hex, 'hex'), BSON.Binary.SUBTYPE_UUID);
    }
    case 'Double': {
      // mongosh prints doubles as Double(1.5) where the type matters.
      return new BSON.Double(num(0));
    }
    case 'MinKey':
      return new BSON.MinKey();
    case 'MaxKey':
      return new BSON.MaxKey();
    default:
      return fail(`unknown constructor "${name}"`);
  }
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof BSON.Int32 || v instanceof BSON.Double) return v.value;
  if (v instanceof BSON.Long) return v.toNumber();
  return undefined;
}

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}
