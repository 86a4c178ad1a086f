import { parseJsonLogLine } from './json-log.ts';
import type { LineResult } from './slow-op.ts';
import { parseTextLogLine } from './text-log.ts';

/** One mongod log line of either format: 4.4+ lines are JSON objects, older ones plain text. */
export function parseLogLine(line: string): LineResult {
  let i = 0;
  while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
  return line[i] === '{' ? parseJsonLogLine(line) : parseTextLogLine(line);
}
