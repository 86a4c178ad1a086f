import type { OperationRecord } from '../model/record.ts';
import { readPreferenceMode } from './match.ts';
import type { AppLint, Finding, ShapeHit } from './result.ts';
import { RULES } from './rules/index.ts';
import { SEVERITIES, VERSION_PATH, type PathVersion, type Rule, type Severity, type Step } from './types.ts';
import { OperationView } from './view.ts';

/** The app label of records that carry none (as the compare stage spells it). */
export const UNLABELLED_APP = '(unlabelled)';

/** Distinct connections counted per finding; enough to tell one from many. */
const MAX_CONNECTIONS = 64;
/** Distinct shapes kept per finding; the rest are counted. */
const MAX_SHAPES = 200;
/** Shapes listed per finding in the result. */
const LISTED_SHAPES = 25;

/**
 * Records that are not the application's operations: run by the server itself, the
 * second log line of one write, bytes that could not be decoded. Counted, never linted.
 */
const NOT_APP_TRAFFIC: ReadonlySet<string> = new Set(['internal', 'duplicate', 'parse-error']);

/** The steps of the path after `from` up to and including `to`. */
export function stepsBetween(from: PathVersion, to: PathVersion): Step[] {
  const a = VERSION_PATH.indexOf(from);
  const b = VERSION_PATH.indexOf(to);
  return VERSION_PATH.slice(a + 1, b + 1) as Step[];
}

interface Tally {
  ops: number;
  conns: Set<string>;
  shapes: Map<string, { text: string; ops: number; example: ShapeHit['example'] }>;
  moreShapes: Set<string> | number;
}

interface AppState {
  ops: number;
  commands: Set<string>;
  readsSecondaries: boolean;
  tallies: Map<Rule, Tally>;
}

/**
 * Runs the rules of the chosen steps over records fed one at a time and keeps, per app
 * and rule, counts, connections and the distinct shapes hit with one example each:
 * bounded memory whatever the capture's size. A rule that throws (it must not: rules are
 * pure and total) is counted in `ruleErrors` and treated as no hit, so one bad rule
 * never stops a lint.
 */
export class Linter {
  private readonly rules: readonly Rule[];
  private readonly steps: readonly Step[];
  private readonly apps = new Map<string, AppState>();
  /** Rule id → operations on which it threw. */
  readonly ruleErrors = new Map<string, number>();
  /** Records not linted because they are not the application's operations (internal, duplicate, parse-error). */
  ignored = 0;

  constructor(options: { from: PathVersion; to: PathVersion; rules?: readonly Rule[] }) {
    this.steps = stepsBetween(options.from, options.to);
    const wanted = new Set<string>(this.steps);
    this.rules = (options.rules ?? RULES).filter((r) => wanted.has(r.step));
  }

  add(record: OperationRecord, defaultApp?: string): void {
    if (record.notReplayable !== undefined && NOT_APP_TRAFFIC.has(record.notReplayable)) {
      this.ignored++;
      return;
    }
    const appName = record.app || defaultApp || UNLABELLED_APP;
    let app = this.apps.get(appName);
    if (!app) this.apps.set(appName, (app = { ops: 0, commands: new Set(), readsSecondaries: false, tallies: new Map() }));
    app.ops++;
    const view = new OperationView(record);
    app.commands.add(view.name);
    if (!app.readsSecondaries) {
      const mode = safe(() => readPreferenceMode(view));
      if (mode !== undefined && mode !== 'primary') app.readsSecondaries = true;
    }
    for (const rule of this.rules) {
      let hit: boolean;
      try {
        hit = rule.match(view);
      } catch {
        this.ruleErrors.set(rule.id, (this.ruleErrors.get(rule.id) ?? 0) + 1);
        continue;
      }
      if (hit) this.tally(app, rule, view);
    }
  }

  private tally(app: AppState, rule: Rule, view: OperationView): void {
    let t = app.tallies.get(rule);
    if (!t) app.tallies.set(rule, (t = { ops: 0, conns: new Set(), shapes: new Map(), moreShapes: new Set() }));
    t.ops++;
    if (t.conns.size < MAX_CONNECTIONS) t.conns.add(view.record.conn);
    const shape = view.shape;
    const s = t.shapes.get(shape.id);
    if (s) s.ops++;
    else if (t.shapes.size < MAX_SHAPES) {
      const r = view.record;
      t.shapes.set(shape.id, { text: shape.text, ops: 1, example: { seq: r.seq, conn: r.conn, db: r.db, ...(r.coll !== undefined ? { coll: r.coll } : {}) } });
    } else if (t.moreShapes instanceof Set) {
      t.moreShapes.add(shape.id);
      // Past this many, only the count is kept.
      if (t.moreShapes.size > 10_000) t.moreShapes = t.moreShapes.size;
    } else t.moreShapes++;
  }

  /** Per app (by name), per step, the findings: most severe first, then most operations. */
  result(): AppLint[] {
    const out: AppLint[] = [];
    for (const [name, app] of [...this.apps].sort(([a], [b]) => a.localeCompare(b))) {
      const findings: Finding[] = [];
      for (const [rule, t] of app.tallies) {
        const facts = { ops: t.ops, connections: t.conns.size, appCommands: app.commands, appReadsSecondaries: app.readsSecondaries };
        if (rule.confirm && !safe(() => rule.confirm!(facts))) continue;
        findings.push(toFinding(rule, t));
      }
      findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || b.ops - a.ops || a.rule.localeCompare(b.rule));
      out.push({ app: name, ops: app.ops, steps: this.steps.map((step) => ({ step, findings: findings.filter((f) => f.step === step) })) });
    }
    return out;
  }
}

function toFinding(rule: Rule, t: Tally): Finding {
  const shapes = [...t.shapes].map(([id, s]) => ({ id, ...s })).sort((a, b) => b.ops - a.ops || a.example.seq - b.example.seq);
  const more = typeof t.moreShapes === 'number' ? t.moreShapes : t.moreShapes.size;
  return {
    rule: rule.id,
    step: rule.step,
    since: rule.since,
    severity: rule.severity,
    concerns: rule.concerns,
    before: rule.before,
    after: rule.after,
    symptom: rule.symptom,
    expect: rule.symptom.expect,
    source: rule.source,
    look: rule.look,
    ops: t.ops,
    connections: t.conns.size,
    shapes: shapes.slice(0, LISTED_SHAPES),
    moreShapes: more + Math.max(0, shapes.length - LISTED_SHAPES),
  };
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** The most severe of the findings, or null. */
export function maxSeverity(apps: readonly AppLint[]): Severity | null {
  let best: number = SEVERITIES.length;
  for (const a of apps) for (const s of a.steps) for (const f of s.findings) best = Math.min(best, SEVERITIES.indexOf(f.severity));
  return SEVERITIES[best] ?? null;
}
