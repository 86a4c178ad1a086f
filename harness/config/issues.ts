import type { z } from 'zod';

/**
 * One schema issue as the end of a one-line message, for both sources of a value: the
 * config loader prefixes `file:line:col section.key`, the flag tables `--flag TEXT`.
 * zod's own wording ("Invalid option: expected one of "fast"|"recorded"") is written
 * for programmers; users read `expected fast or recorded`.
 */
export function issueText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `expected ${orList(issue.values.map(String))}`;
    case 'invalid_type':
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return tooSmall(issue) ?? issue.message;
    case 'too_big':
      return tooBig(issue) ?? issue.message;
    case 'invalid_key':
      // The path already ends in the key; say what is wrong with it.
      return issue.issues[0] ? issueText(issue.issues[0]) : issue.message;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

const TYPE_WORDS: Readonly<Record<string, string>> = Object.freeze({
  number: 'a number',
  int: 'an integer',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
});

/** `a`, `a or b`, `a, b or c`. */
export function orList(values: readonly string[]): string {
  return values.length <= 1 ? (values[0] ?? 'nothing') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string | undefined {
  const min = Number(issue.minimum);
  if (issue.origin === 'number') return issue.inclusive ? `must be at least ${min}` : min === 0 ? 'must be positive' : `must be greater than ${min}`;
  if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must have at least ${min} characters`;
  if (issue.origin === 'array') return `needs at least ${min} value${min === 1 ? '' : 's'}`;
  return undefined;
}

function tooBig(issue: z.core.$ZodIssueTooBig): string | undefined {
  const max = Number(issue.maximum);
  if (issue.origin === 'number') return issue.inclusive ? `must be at most ${max}` : `must be less than ${max}`;
  if (issue.origin === 'string') return `must have at most ${max} characters`;
  if (issue.origin === 'array') return `takes at most ${max} value${max === 1 ? '' : 's'}`;
  return undefined;
}
