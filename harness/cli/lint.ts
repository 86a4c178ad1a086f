import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { SEVERITIES, VERSION_PATH, type PathVersion } from '../lint/types.ts';

interface LintFlags {
  capture: string[];
  from: string;
  to: string;
  format: string;
  failOn?: string;
  source?: string[];
  out?: string;
}

const PATH: readonly string[] = VERSION_PATH;
const SEVERITY_ORDER: readonly string[] = SEVERITIES;
const FORMATS = ['md', 'json'];
/** Exit status when --fail-on is met (the report's "fail" bit, harness/report/exit-status.ts). */
const FAIL_ON_MET = 4;

/** `mongo-compat lint`: static upgrade risks of captures, per version step, before anything is replayed. */
export function defineLint(program: Command): void {
  program
    .command('lint')
    .description('upgrade risks of captured operations per version step, from a knowledge base of documented behaviour changes; nothing is replayed')
    .requiredOption('--capture <files...>', 'capture files (.jsonl.gz); rotated parts in order')
    .option('--from <version>', `version the capture was taken on (${PATH.join(', ')}; a patch such as 4.2.24 reads as 4.2)`, '4.2')
    .option('--to <version>', 'last version of the upgrade path to check', '8.0')
    .option('-f, --format <list>', 'md, json or md,json (JSON always goes to stdout; Markdown too when it is the only format, else to stderr)', 'md')
    .option('--fail-on <severity>', `exit ${FAIL_ON_MET} when a capture finding is at least this severe (${SEVERITY_ORDER.join(', ')})`)
    .option('--source <dirs...>', 'application source directories to scan for the names rules know (file:line, lower confidence)')
    .option('-o, --out <dir>', 'write lint.md / lint.json there and print their paths instead')
    .addHelpText('after', `\nExit status: 0, or ${FAIL_ON_MET} when --fail-on is met, or 1 on bad input.`)
    .action(async (flags: LintFlags) => {
      const from = pathVersion(flags.from, '--from');
      const to = pathVersion(flags.to, '--to');
      if (PATH.indexOf(to) <= PATH.indexOf(from)) throw new UsageError(`--to ${flags.to} must come after --from ${flags.from} on the path ${PATH.join(' → ')}`);
      const formats = flags.format.split(',').map((f) => f.trim());
      for (const f of formats) if (!FORMATS.includes(f)) throw new UsageError(`--format ${f}: expected md, json or md,json`);
      if (flags.failOn !== undefined && !SEVERITY_ORDER.includes(flags.failOn)) throw new UsageError(`--fail-on ${flags.failOn}: expected one of ${SEVERITY_ORDER.join(', ')}`);
      const { lintCaptures } = await import('../lint/lint.ts');
      const { renderLintMarkdown } = await import('../lint/render-markdown.ts');
      const result = await lintCaptures(flags.capture, {
        from,
        to,
        ...(flags.source ? { sourceDirs: flags.source } : {}),
        onIssue: (i) => process.stderr.write(`${i.file}:${i.line}: ${i.code}: ${i.message} (skipped)\n`),
      });
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (flags.out) {
        const { mkdir, writeFile } = await import('node:fs/promises');
        const { join } = await import('node:path');
        await mkdir(flags.out, { recursive: true });
        for (const f of formats) {
          const file = join(flags.out, `lint.${f}`);
          await writeFile(file, f === 'json' ? json : renderLintMarkdown(result));
          process.stdout.write(`${file}\n`);
        }
      } else {
        if (formats.includes('json')) process.stdout.write(json);
        if (formats.includes('md')) (formats.includes('json') ? process.stderr : process.stdout).write(renderLintMarkdown(result));
      }
      const counts = result.apps.map((a) => `${a.app}: ${a.steps.reduce((n, s) => n + s.findings.length, 0)} findings`).join(', ');
      process.stderr.write(`lint ${from} → ${to}: ${result.records} operations; ${counts || 'no apps'}; most severe: ${result.maxSeverity ?? 'none'}\n`);
      if (flags.failOn !== undefined && result.maxSeverity !== null && SEVERITY_ORDER.indexOf(result.maxSeverity) <= SEVERITY_ORDER.indexOf(flags.failOn)) {
        process.stderr.write(`lint: --fail-on ${flags.failOn} met (${result.maxSeverity})\n`);
        process.exitCode = FAIL_ON_MET;
      }
    });
}

function pathVersion(text: string, flag: string): PathVersion {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text.trim());
  const v = m ? `${m[1]}.${m[2]}` : text;
  const found = VERSION_PATH.find((p) => p === v);
  if (!found) throw new UsageError(`${flag} ${text}: expected a version of the path ${PATH.join(', ')}`);
  return found;
}
