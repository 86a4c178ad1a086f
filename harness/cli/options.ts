import { Option, type Command } from 'commander';
import { z } from 'zod';
import { issueText } from '../config/issues.ts';
import { UsageError } from '../errors.ts';

/**
 * One flag table per command, over the command's config section: for every key of the
 * section either the flag that sets it or an explicit `null`. As with vitest's
 * `CLIOptions<Config>`, the type demands an entry per key, so a key added to the schema
 * fails type-checking until someone decides on its flag. Defaults and allowed values
 * are read from the schema for the help text, and flags merge over the config file
 * through the schema once, so flags, help and config cannot drift apart.
 *
 *   schema section ──► table ──► commander options (help: "… (choices: …; default: …)")
 *        ▲                              │ text as typed
 *        └──── safeParse(file section ◄─ read(text)) ──► typed section, or
 *                                          "--timing slow: expected fast or recorded"
 *
 * Flags that are not config keys (`--capture`, `--out`) stay plain commander options
 * in their command.
 */

/** How a flag's text becomes the value of its config key; the schema then checks that value. */
export type Reader<V> = SwitchReader<V> | ValueReader<V> | RepeatReader<V>;

/** A flag without an argument. */
interface SwitchReader<V> {
  readonly kind: 'switch';
  parse(present: true): V;
  show?(value: V): string;
}

/** A flag with one argument; given twice, the last one wins. */
interface ValueReader<V> {
  readonly kind: 'value';
  /** Throws `BadFlagText` for text that is not even of the right shape. */
  parse(text: string): V;
  /** The value as a user would type it (for the default in help). */
  show?(value: V): string;
}

/** A repeatable flag: every occurrence is kept. */
interface RepeatReader<V> {
  readonly kind: 'repeat';
  parse(texts: readonly string[]): V;
  show?(value: V): string;
  /** How the flags' value joins the config file's (default: it replaces it). */
  over?(fromConfig: V, fromFlags: V): V;
}

/** Shape errors of a flag's text; `at` is the occurrence of a repeatable flag. */
class BadFlagText extends Error {
  constructor(
    message: string,
    readonly at?: number,
  ) {
    super(message);
  }
}

function toNumber(text: string): number | undefined {
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) ? undefined : n;
}

/** The readers flag tables use; ranges and choices are the schema's business. */
export const read = Object.freeze({
  text: { kind: 'value', parse: (t) => t } satisfies Reader<string>,
  number: {
    kind: 'value',
    parse: (t) => toNumber(t) ?? fail('expected a number'),
  } satisfies Reader<number>,
  /** `1,2,4`: the schema checks each. */
  numbers: {
    kind: 'value',
    parse: (t) => t.split(',').map((p) => toNumber(p) ?? fail(`${quote(p.trim())} is not a number`)),
    show: (v) => v.join(','),
  } satisfies Reader<number[]>,
  /** `md,html`. */
  list: { kind: 'value', parse: (t) => t.split(',').map((p) => p.trim()), show: (v) => v.join(',') } satisfies Reader<string[]>,
  onOff: {
    kind: 'value',
    parse: (t) => (t === 'on' ? true : t === 'off' ? false : fail('expected on or off')),
    show: (v) => (v ? 'on' : 'off'),
  } satisfies Reader<boolean>,
  present: { kind: 'switch', parse: () => true } satisfies Reader<boolean>,
  repeated: { kind: 'repeat', parse: (ts) => [...ts] } satisfies Reader<string[]>,
  /** `--map-db A=B --map-db C=D`: added to the config file's pairs, a flag winning for the same key. */
  pairs: {
    kind: 'repeat',
    parse: (ts) =>
      Object.fromEntries(
        ts.map((t, i) => {
          const eq = t.indexOf('=');
          return eq > 0 && eq < t.length - 1 ? [t.slice(0, eq), t.slice(eq + 1)] : fail('expected FROM=TO', i);
        }),
      ),
    over: (fromConfig, fromFlags) => ({ ...fromConfig, ...fromFlags }),
    show: (v) => Object.entries(v).map(([k, x]) => `${k}=${x}`).join(','),
  } satisfies Reader<Record<string, string>>,
});

function fail(message: string, at?: number): never {
  throw new BadFlagText(message, at);
}

/** Readers see enum values as the text the user typed; the schema narrows them. */
type Loose<V> = V extends string ? string : V extends readonly (infer I)[] ? Loose<I>[] : V;

export interface Flag<V> {
  /** Commander syntax: `--timing <mode>`, `-f, --format <list>`, `--warmup-pass`. */
  readonly flags: string;
  /** What the flag does; the schema's choices and default are appended. */
  readonly help: string;
  readonly read: Reader<Loose<V>>;
}

/** A nested object of the schema (report.datadog) gets its own table; records and lists are values. */
type Nested<V> = V extends readonly unknown[] ? never : V extends object ? (string extends keyof V ? never : V) : never;

export type OptionTable<T> = {
  readonly [K in keyof T]-?: [Nested<NonNullable<T[K]>>] extends [never] ? Flag<NonNullable<T[K]>> | null : OptionTable<NonNullable<T[K]>> | null;
};

export interface FlagTable<T> {
  /** Adds one option per flag to `cmd`, its help followed by the schema's choices and default. */
  addTo(cmd: Command): Command;
  /**
   * `section` (from the config file, already checked) with every flag of `given`
   * (commander's `opts()`) over it, checked by the schema; a bad value is a one-line
   * UsageError naming the flag and the text given.
   */
  over(section: T, given: Readonly<Record<string, unknown>>): T;
}

interface Entry {
  readonly path: readonly string[];
  readonly flag: Flag<unknown>;
  readonly field: z.ZodType;
  /** commander's key in `opts()`. */
  readonly attr: string;
  readonly long: string;
}

/** `name` is the section's place in the config file (`bench.contention`), for messages. */
export function flagTable<S extends z.ZodObject>(schema: S, name: string, table: OptionTable<z.output<S>>): FlagTable<z.output<S>> {
  const entries = flatten(schema, table as Readonly<Record<string, unknown>>, []);
  return {
    addTo(cmd) {
      const defaults: unknown = schema.safeParse({}).data;
      for (const e of entries) cmd.addOption(optionOf(e, valueAt(defaults, e.path)));
      return cmd;
    },
    over(section, given) {
      let merged: unknown = section;
      const fromFlags: { entry: Entry; raw: unknown }[] = [];
      for (const e of entries) {
        const raw = given[e.attr];
        if (raw === undefined) continue;
        let value = parseRaw(e.long, e.flag.read, raw);
        const reader = e.flag.read as Reader<unknown>;
        const current = valueAt(merged, e.path);
        if (reader.kind === 'repeat' && reader.over && current !== undefined) value = reader.over(current, value);
        merged = withValue(merged, e.path, value);
        fromFlags.push({ entry: e, raw });
      }
      // The file's values were checked when it was loaded; only flags bring anything new.
      if (fromFlags.length === 0) return section;
      const result = schema.safeParse(merged);
      if (result.success) return result.data;
      const issue = result.error.issues[0]!;
      const owner = fromFlags.find(({ entry }) => entry.path.every((k, i) => issue.path[i] === k));
      if (!owner) throw new UsageError(`${name}.${issue.path.join('.')}: ${issueText(issue)}`);
      throw flagError(owner.entry.long, owner.entry.flag.read, owner.raw, issue, issue.path.slice(owner.entry.path.length), valueAt(merged, issue.path.map(String)));
    },
  };
}

/**
 * One flag that is not a config key but takes a value the schema describes (replay's
 * `--report md,html` takes report formats): read and checked like a table's flag.
 */
export function checkFlag<V>(long: string, text: string, reader: Reader<unknown>, schema: z.ZodType<V>): V {
  const value = parseRaw(long, reader, text);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw flagError(long, reader, text, issue, issue.path, valueAt(value, issue.path.map(String)));
}

function flatten(schema: z.ZodObject, table: Readonly<Record<string, unknown>>, prefix: readonly string[]): Entry[] {
  const out: Entry[] = [];
  for (const [key, spec] of Object.entries(table)) {
    if (spec === null) continue;
    const field = schema.shape[key] as z.ZodType | undefined;
    if (!field) throw new Error(`flag table: ${[...prefix, key].join('.')} is not in the schema`);
    const path = [...prefix, key];
    if (isFlag(spec)) {
      const probe = new Option(spec.flags);
      if (probe.isBoolean() !== (spec.read.kind === 'switch')) throw new Error(`flag table: ${spec.flags} and a ${spec.read.kind} reader do not go together`);
      out.push({ path, flag: spec, field, attr: probe.attributeName(), long: probe.long ?? spec.flags });
    } else {
      const inner = bare(field);
      if (!(inner instanceof z.ZodObject)) throw new Error(`flag table: ${path.join('.')} is not an object in the schema`);
      out.push(...flatten(inner, spec as Readonly<Record<string, unknown>>, path));
    }
  }
  return out;
}

function isFlag(spec: unknown): spec is Flag<unknown> {
  return typeof (spec as { flags?: unknown }).flags === 'string';
}

function optionOf(e: Entry, fallback: unknown): Option {
  const reader = e.flag.read as Reader<unknown>;
  const extra: string[] = [];
  const choices = choicesOf(e.field);
  if (choices) extra.push(`choices: ${choices.join(', ')}`);
  // A switch that is off by default says nothing; every other default is worth showing.
  const isEmpty = fallback === undefined || fallback === null || (reader.kind === 'switch' && fallback === false) || (typeof fallback === 'object' && Object.keys(fallback).length === 0);
  if (!isEmpty) extra.push(`default: ${reader.show ? reader.show(fallback) : String(fallback)}`);
  const option = new Option(e.flag.flags, extra.length ? `${e.flag.help} (${extra.join('; ')})` : e.flag.help);
  if (reader.kind === 'repeat') option.argParser((v: string, previous: string[] | undefined) => [...(previous ?? []), v]);
  return option;
}

/** Allowed values of an enum field, or of a list of one. */
function choicesOf(field: z.ZodType): string[] | undefined {
  let t = bare(field);
  if (t instanceof z.ZodArray) t = bare(t.element as z.ZodType);
  return t instanceof z.ZodEnum ? t.options.map(String) : undefined;
}

/** The field without default, prefault, optional and nullable wrappers. */
function bare(field: z.ZodType): z.ZodType {
  let t = field;
  while (t instanceof z.ZodDefault || t instanceof z.ZodPrefault || t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap() as z.ZodType;
  return t;
}

function parseRaw(long: string, reader: Reader<unknown>, raw: unknown): unknown {
  try {
    return (reader.parse as (raw: unknown) => unknown)(raw);
  } catch (err) {
    if (!(err instanceof BadFlagText)) throw err;
    const texts = Array.isArray(raw) ? (raw as string[]) : [];
    const text = err.at !== undefined ? texts[err.at] : typeof raw === 'string' ? raw : undefined;
    throw new UsageError(`${long}${text === undefined ? '' : ` ${quote(text)}`}: ${err.message}`);
  }
}

/** `--flag TEXT: reason`; a list names the bad item, a repeated flag the bad occurrence. */
function flagError(long: string, reader: Reader<unknown>, raw: unknown, issue: z.core.$ZodIssue, rest: readonly PropertyKey[], value: unknown): UsageError {
  const reason = issueText(issue);
  if (reader.kind === 'switch') return new UsageError(`${long}: ${reason}`);
  if (reader.kind === 'repeat') {
    const at = typeof rest[0] === 'number' && !reader.over ? (raw as string[])[rest[0]] : undefined;
    return new UsageError(at !== undefined ? `${long} ${quote(at)}: ${reason}` : `${long}: ${[...rest.map(String), reason].join(': ')}`);
  }
  const item = rest.length > 0 && (typeof value === 'string' || typeof value === 'number') ? `${quote(String(value))}: ` : '';
  return new UsageError(`${long} ${quote(String(raw))}: ${item}${reason}`);
}

function quote(text: string): string {
  return text === '' || /[\s"']/.test(text) ? JSON.stringify(text) : text;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** A copy of `root` with `value` at `path`; the config object itself is never written. */
function withValue(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const obj = (root !== null && typeof root === 'object' ? root : {}) as Record<string, unknown>;
  return { ...obj, [path[0]!]: withValue(obj[path[0]!], path.slice(1), value) };
}
