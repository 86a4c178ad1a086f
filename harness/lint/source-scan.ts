import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { UsageError } from '../errors.ts';
import { stepsBetween } from './engine.ts';
import type { SourceHit } from './result.ts';
import { RULES } from './rules/index.ts';
import type { PathVersion, Rule } from './types.ts';

/** Application languages of the platform: Java, Kotlin, Haskell, TypeScript/JavaScript, Python, Go. */
const EXTENSIONS = new Set(['.java', '.kt', '.kts', '.hs', '.lhs', '.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.py', '.go']);
/** Folders of dependencies, builds and tools, never the application's own code. */
const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'target', '.gradle', '.stack-work', 'dist-newstyle', 'vendor', '__pycache__', '.venv', 'venv', '.tox', 'coverage']);
/** Larger files are generated or minified, not written by people. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Hits listed per rule; the rest are counted. */
const HITS_PER_RULE = 50;

export interface SourceScan {
  readonly roots: readonly string[];
  readonly files: number;
  readonly hits: readonly SourceHit[];
  readonly moreHits: number;
}

/**
 * Looks for the names rules know (commands, operators, JavaScript statics) in
 * application source files and reports file:line per rule. A name in source says the
 * code can send it, not that it does: these hits are of lower confidence than capture
 * findings, and the report says so.
 */
export async function scanSources(roots: readonly string[], options: { from: PathVersion; to: PathVersion; rules?: readonly Rule[] }): Promise<SourceScan> {
  const steps = new Set<string>(stepsBetween(options.from, options.to));
  const rules = (options.rules ?? RULES).filter((r) => r.tokens && steps.has(r.step));
  const hits: SourceHit[] = [];
  const perRule = new Map<string, number>();
  let more = 0;
  let files = 0;
  for (const root of roots) {
    const info = await stat(root).catch(() => undefined);
    if (!info) throw new UsageError(`--source ${root}: no such file or directory`);
    for await (const file of walk(root, info.isDirectory())) {
      files++;
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const shown = info.isDirectory() ? join(root, relative(root, file)) : file;
      scanText(text, rules, (rule, line, lineText) => {
        const n = (perRule.get(rule.id) ?? 0) + 1;
        perRule.set(rule.id, n);
        if (n > HITS_PER_RULE) {
          more++;
          return;
        }
        hits.push({ rule: rule.id, step: rule.step, severity: rule.severity, file: shown, line, text: lineText.trim().slice(0, 160) });
      });
    }
  }
  return { roots: [...roots], files, hits, moreHits: more };
}

/** Calls `onHit` for every line of `text` that holds a rule's tokens. Pure. */
export function scanText(text: string, rules: readonly Rule[], onHit: (rule: Rule, line: number, text: string) => void): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > 2000) continue; // minified or data, not code
    for (const rule of rules) if (rule.tokens!.test(line)) onHit(rule, i + 1, line);
  }
}

async function* walk(path: string, isDir: boolean): AsyncGenerator<string> {
  if (!isDir) {
    yield path;
    return;
  }
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = join(path, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* walk(full, true);
    } else if (e.isFile() && EXTENSIONS.has(extname(e.name))) {
      const s = await stat(full).catch(() => undefined);
      if (s && s.size <= MAX_FILE_BYTES) yield full;
    }
  }
}
