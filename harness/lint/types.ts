import type { DiffClass } from '../model/diff-class.ts';
import type { OperationView } from './view.ts';

/**
 * The upgrade path lint knows, oldest first. A rule belongs to the step whose target
 * first carries the change: a change of a rapid release (5.1, 6.2, 7.3) belongs to the
 * next long-term release on the path (6.0, 7.0, 8.0), which absorbs it.
 */
export const VERSION_PATH = Object.freeze(['4.2', '4.4', '5.0', '6.0', '7.0', '8.0'] as const);
export type PathVersion = (typeof VERSION_PATH)[number];
export type Step = Exclude<PathVersion, '4.2'>;

/** Most severe first. */
export const SEVERITIES = Object.freeze(['high', 'medium', 'low', 'info'] as const);
export type Severity = (typeof SEVERITIES)[number];

/**
 * What the replay of a hit operation is expected to show: a compare class, a latency
 * change, nothing the compare stage judges (a log line, a closed connection the
 * replayer cannot send), or only a server-describing reply.
 */
export type ReplayExpectation = DiffClass | 'latency' | 'not-replayed' | 'server-differences' | 'log-only';

export interface Symptom {
  readonly expect: ReplayExpectation;
  /** Error code and codeName on the new version, when it fails. */
  readonly code?: number;
  readonly codeName?: string;
  /** One sentence: the field, order, numeric type or message that changes. */
  readonly text: string;
}

/**
 * Figures over every operation of one app that hit a rule, for rules that need more
 * than one operation to decide (an app that never says `hello`, a queue claimed from
 * several connections).
 */
export interface GroupFacts {
  /** Operations that matched. */
  readonly ops: number;
  /** Distinct connections among them (counted up to 64). */
  readonly connections: number;
  /** Canonical command names the app sent, any operation. */
  readonly appCommands: ReadonlySet<string>;
  /** Whether the app sent any operation with a read preference other than primary. */
  readonly appReadsSecondaries: boolean;
}

export interface Rule {
  /** Stable kebab-case id, also the key of fixtures and of `--fail-on` reports. */
  readonly id: string;
  /** The step of the path that brings the change. */
  readonly step: Step;
  /** The release that made the change (a rapid release such as 5.1 is absorbed by 6.0). */
  readonly since: string;
  /** The command, operator, option or opcode concerned. */
  readonly concerns: string;
  /** Rows of the research notes (`mongodb-versions.md`) this rule covers; empty for rules from the issue alone. */
  readonly rows: readonly number[];
  /** Pure: the same operation always gives the same answer; never throws on any record. */
  readonly match: (op: OperationView) => boolean;
  /** For rules over several operations: whether the app's matching operations together make a finding. */
  readonly confirm?: (facts: GroupFacts) => boolean;
  /** The old behaviour in one sentence. */
  readonly before: string;
  /** The new behaviour in one sentence. */
  readonly after: string;
  readonly symptom: Symptom;
  readonly severity: Severity;
  /** Release notes or compatibility page and section. */
  readonly source: string;
  /** What to look at in the replay (or to run, when the replay cannot show it). */
  readonly look: string;
  /**
   * What the source scan looks for in application code (`--source`): names that only
   * this rule's concern uses. Rules about shapes of documents (projections, sorts) have
   * none: a name alone says nothing there.
   */
  readonly tokens?: RegExp;
}
