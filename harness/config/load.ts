import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { ConfigError } from '../errors.ts';
import { issueText } from './issues.ts';
import { ConfigSchema, type Config } from './schema.ts';

export const DEFAULT_CONFIG_FILE = 'mongo-compat.config.yaml';

/**
 * Loads and validates a config file. Errors are one line naming file:line:column and
 * the field, e.g. `mongo-compat.config.yaml:3:14 targets.base: expected string`.
 * Without an explicit path, ./mongo-compat.config.yaml is used when it exists.
 */
export async function loadConfig(path?: string): Promise<{ config: Config; path?: string }> {
  const file = path ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!file) return { config: ConfigSchema.parse({}) };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  return { config: parseConfigText(text, file), path: file };
}

export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ConfigError(`${file}${locate(doc, issue.path, lineCounter)} ${issue.path.join('.') || '(top level)'}: ${issueText(issue)}`);
}

function locate(doc: ReturnType<typeof parseDocument>, path: PropertyKey[], lc: LineCounter): string {
  // Point at the deepest node that exists on the issue's path.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) {
      const { line, col } = lc.linePos(node.range[0]);
      return `:${line}:${col}`;
    }
  }
  return ':';
}
