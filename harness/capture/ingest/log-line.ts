import { parseJsonLogLine } from './json-log.ts';
import { RESTART, type LineResult } from './slow-op.ts';
import { parseTextLogLine } from './text-log.ts';

/**
 * Connection numbers start again at 1 when mongod restarts; both formats print this
 * banner first (4.0/4.2 `CONTROL [main] ***** SERVER RESTARTED *****`, logv2 id 20698).
 */
const RESTARTED = '***** SERVER RESTARTED *****';

/** One mongod log line of either format: 4.4+ lines are JSON objects, older ones plain text. */
export function parseLogLine(line: string): LineResult {
  if (line.includes(RESTARTED)) return RESTART;
  let i = 0;
  while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
  return line[i] === '{' ? parseJsonLogLine(line) : parseTextLogLine(line);
}
