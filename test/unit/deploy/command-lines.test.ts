import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { buildProgram } from '../../../harness/cli/program.ts';
import { SUITE_FLAGS } from '../../../harness/cli/suite.ts';
import { parseConfigText } from '../../../harness/config/load.ts';
import { parseShard, shardProblem } from '../../../harness/replay/shard.ts';

/**
 * Every `mongo-compat …` command line in the container image, the Kubernetes Jobs and the
 * GitHub Actions workflow is one the CLI accepts: parsed by the real program with its
 * actions replaced, so an unknown subcommand, flag or flag value fails here and not on a
 * scheduler at night.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const text = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

const DOCKERFILE = 'deploy/Dockerfile';
const SHARDS_JOB = 'deploy/k8s/suite-shards.yaml';
const MERGE_JOB = 'deploy/k8s/suite-merge.yaml';
const WORKFLOW = '.github/workflows/nightly-suite.yml';

/** Sample values of the expressions these files use; an expression not listed fails the test. */
const SAMPLE_EXPRESSIONS: Record<string, string> = {
  'matrix.shard': '2',
  'env.SHARDS': '4',
  "inputs.fail-on || 'new'": 'new',
};
const SAMPLE_ENV: Record<string, string> = { JOB_COMPLETION_INDEX: '1', SHARDS: '4', RUNNER_TEMP: '/tmp/runner' };

type Line = { file: string; argv: string[] };

/** `${{ … }}` (Actions expressions) replaced by sample values. */
function substituteExpressions(s: string, file: string): string {
  return s.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    const v = SAMPLE_EXPRESSIONS[expr];
    if (v === undefined) throw new Error(`${file}: no sample value for the expression \${{ ${expr} }}`);
    return v;
  });
}

/** Shell `$((NAME+K))`, `$NAME` and `${NAME}` replaced by sample values. */
function substituteShell(s: string, file: string): string {
  return s
    .replace(/\$\(\(([^)]*)\)\)/g, (_, expr: string) =>
      String(
        expr.split('+').reduce((sum, term) => {
          const t = term.trim();
          const n = /^\d+$/.test(t) ? Number(t) : Number(SAMPLE_ENV[t]);
          if (!Number.isInteger(n)) throw new Error(`${file}: cannot evaluate $((${expr}))`);
          return sum + n;
        }, 0),
      ),
    )
    .replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => {
      const v = SAMPLE_ENV[name];
      if (v === undefined) throw new Error(`${file}: no sample value for $${name}`);
      return v;
    });
}

/** Shell words of one simple command: single and double quotes, backslash-newline joined. */
function words(command: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur ??= '';
    } else if (/\s/.test(ch)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else cur = (cur ?? '') + ch;
  }
  if (quote) throw new Error(`unclosed quote in: ${command}`);
  if (cur !== null) out.push(cur);
  return out;
}

/** The mongo-compat invocations of a shell script (after `exec` or `npx`), redirections dropped. */
function fromShell(script: string, file: string): Line[] {
  const joined = substituteExpressions(script, file).replace(/\\\n/g, ' ');
  const lines: Line[] = [];
  for (const raw of joined.split(/\n|&&|\|\||;|\|/)) {
    const first = words(raw.trim()).filter((w) => w !== 'exec' && w !== 'npx')[0];
    if (first !== 'mongo-compat') continue;
    const argv: string[] = [];
    const all = words(substituteShell(raw.trim(), file));
    for (let i = 0; i < all.length; i++) {
      if (/^\d?>>?$/.test(all[i]!)) i++; // `> file`: the redirection and its target
      else if (!/^\d?>/.test(all[i]!)) argv.push(all[i]!);
    }
    lines.push({ file, argv: argv.slice(argv.indexOf('mongo-compat')) });
  }
  return lines;
}

function dockerfileLines(): Line[] {
  const src = text(DOCKERFILE).replace(/\\\n/g, ' ');
  const lines: Line[] = [];
  for (const line of src.split('\n')) {
    const m = /^(RUN|CMD|ENTRYPOINT)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const body = m[2]!;
    if (body.startsWith('[')) {
      const argv = JSON.parse(body) as string[];
      if (argv[0] === 'mongo-compat') lines.push({ file: DOCKERFILE, argv });
    } else lines.push(...fromShell(body, DOCKERFILE));
  }
  return lines;
}

type Container = { command?: string[]; args?: string[] };
type Manifest = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { containers: Container[] } } } };

function manifests(path: string): Manifest[] {
  const docs = parseAllDocuments(text(path));
  for (const d of docs) expect(d.errors, `${path}: ${d.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return docs.map((d) => d.toJS() as Manifest);
}

function manifestLines(path: string): Line[] {
  const lines: Line[] = [];
  for (const m of manifests(path)) {
    for (const c of m.spec?.template.spec.containers ?? []) {
      const argv = [...(c.command ?? []), ...(c.args ?? [])];
      if ((argv[0] === '/bin/sh' || argv[0] === 'sh') && argv[1] === '-c') lines.push(...fromShell(argv[2] ?? '', path));
      else if (argv[0] === 'mongo-compat') lines.push({ file: path, argv: argv.map((a) => substituteShell(substituteExpressions(a, path), path)) });
    }
  }
  return lines;
}

type Workflow = { env?: Record<string, unknown>; jobs: Record<string, { strategy?: { matrix?: { shard?: number[] } }; steps: { run?: string }[] }> };

function workflowLines(): Line[] {
  const wf = parseYaml(text(WORKFLOW)) as Workflow;
  return Object.values(wf.jobs).flatMap((job) => job.steps.flatMap((s) => (s.run ? fromShell(s.run, WORKFLOW) : [])));
}

type Parsed = { path: string[]; opts: Record<string, unknown> };

/** Parses argv (argv[0] is `mongo-compat`) with the real program; actions only record what they were given. */
function parseWithCli(argv: string[]): Parsed {
  const program = buildProgram();
  let parsed: Parsed | undefined;
  const errors: string[] = [];
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program)) {
    cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: (s) => errors.push(s) });
    if (cmd.commands.length === 0) {
      cmd.action((...args: unknown[]) => {
        const self = args.at(-1) as Command;
        const path: string[] = [];
        for (let c: Command | null = self; c && c !== program; c = c.parent) path.unshift(c.name());
        parsed = { path, opts: self.opts() };
      });
    }
  }
  try {
    program.parse(argv.slice(1), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.code === 'commander.helpDisplayed') {
      // Help of a command path: each word before the first flag must name a subcommand.
      let cmd: Command | undefined = program;
      const path: string[] = [];
      for (const w of argv.slice(1)) {
        if (w.startsWith('-')) break;
        cmd = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
        if (!cmd) throw new Error(`help of an unknown command: ${argv.join(' ')}`, { cause: err });
        path.push(w);
      }
      return { path: [...path, '--help'], opts: {} };
    }
    throw new Error(errors.join(' ').trim() || (err as Error).message, { cause: err });
  }
  if (!parsed) throw new Error(`no command ran for: ${argv.join(' ')}`);
  return parsed;
}

/** A suite line's flags merged over a config's suite section as the action does, and its --shard checked. */
function checkSuite(opts: Record<string, unknown>, configText = ''): void {
  SUITE_FLAGS.over(parseConfigText(configText, 'suite.yaml').suite, opts);
  if (typeof opts.shard === 'string') expect(shardProblem(opts.shard), `--shard ${opts.shard}`).toBeFalsy();
  expect(opts.shard !== undefined && opts.merge !== undefined, '--shard and --merge go apart').toBe(false);
}

const configMapSuite = () => manifests(SHARDS_JOB).find((m) => m.kind === 'ConfigMap')?.data?.['suite.yaml'] ?? '';

describe('command lines of the deployment files', () => {
  const sources: [string, () => Line[]][] = [
    [DOCKERFILE, dockerfileLines],
    [SHARDS_JOB, () => manifestLines(SHARDS_JOB)],
    [MERGE_JOB, () => manifestLines(MERGE_JOB)],
    [WORKFLOW, workflowLines],
  ];

  it.each(sources)('%s: every mongo-compat line parses with the CLI', (_, extract) => {
    const lines = extract();
    expect(lines.length).toBeGreaterThan(0);
    for (const { file, argv } of lines) {
      const { path, opts } = parseWithCli(argv);
      if (path[0] === 'suite') checkSuite(opts, file.startsWith('deploy/k8s/') ? configMapSuite() : '');
    }
  });

  it('the checker itself rejects an unknown flag, an unknown subcommand and a bad --shard', () => {
    expect(() => parseWithCli(['mongo-compat', 'suite', '--shards', '1/2'])).toThrow(/unknown option/);
    expect(() => parseWithCli(['mongo-compat', 'suitee', '--shard', '1/2'])).toThrow(/unknown command/);
    expect(() => parseWithCli(['mongo-compat', 'suitee', '--help'])).toThrow(/unknown command/);
    expect(parseWithCli(['mongo-compat', 'suite', '--help']).path).toEqual(['suite', '--help']);
    expect(() => checkSuite(parseWithCli(['mongo-compat', 'suite', '--shard', '3/2']).opts)).toThrow();
    expect(() => checkSuite(parseWithCli(['mongo-compat', 'suite', '--fail-on', 'sometimes']).opts)).toThrow();
    expect(parseWithCli(['mongo-compat', 'suite', '--merge', 'a', 'b', '--out', 'o'])).toEqual({ path: ['suite'], opts: { merge: ['a', 'b'], out: 'o' } });
  });

  it('the shell parsing substitutes samples and joins continued lines', () => {
    expect(fromShell('exec mongo-compat suite --shard $((JOB_COMPLETION_INDEX+1))/4 \\\n  --out "/w/shard-$JOB_COMPLETION_INDEX" >/dev/null', 'x')).toEqual([
      { file: 'x', argv: ['mongo-compat', 'suite', '--shard', '2/4', '--out', '/w/shard-1'] },
    ]);
    expect(() => fromShell('mongo-compat suite --out ${{ secrets.X }}', 'x')).toThrow(/secrets\.X/);
  });
});

/** The `sh` code blocks of a Markdown file, `#` comments dropped: what a reader copies. */
function markdownLines(path: string): Line[] {
  const lines: Line[] = [];
  for (const m of text(path).matchAll(/```sh\n([\s\S]*?)```/g)) {
    const script = m[1]!
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').replace(/^#.*$/, ''))
      // Synopsis notation: `[--flag value]` is optional, `FILE...`/`…` repeat what comes before.
      .map((l) => l.replace(/\s\[[^\]\n]*\]/g, '').replace(/(\.\.\.|…)/g, ''))
      .join('\n');
    lines.push(...fromShell(script, path));
  }
  return lines;
}

describe('command lines of the README and the user guide', () => {
  it.each(['README.md', 'docs/guide.md'])('%s: every mongo-compat line in a sh block parses with the CLI', (path) => {
    const lines = markdownLines(path);
    expect(lines.length).toBeGreaterThan(5);
    for (const { argv } of lines) {
      try {
        const { path: cmd, opts } = parseWithCli(argv);
        if (cmd[0] === 'suite') checkSuite(opts);
      } catch (err) {
        throw new Error(`${path}: ${argv.join(' ')}: ${(err as Error).message}`, { cause: err });
      }
    }
  });
});

describe('the Kubernetes Jobs', () => {
  it('the Indexed Job runs N shards: completions and parallelism equal the N of --shard, pod K writes shard-K', () => {
    const job = manifests(SHARDS_JOB).find((m) => m.kind === 'Job')!;
    expect(job.spec?.completionMode).toBe('Indexed');
    const [line] = manifestLines(SHARDS_JOB);
    const { opts } = parseWithCli(line!.argv);
    const { count } = parseShard(opts.shard as string);
    expect(job.spec?.completions).toBe(count);
    expect(job.spec?.parallelism).toBe(count);
    // JOB_COMPLETION_INDEX=1 in the samples: the second pod replays shard 2 into /work/shard-1.
    expect(opts).toMatchObject({ shard: `2/${count}`, out: '/work/shard-1' });
  });

  it('the merge Job merges exactly the directories the shard pods write', () => {
    const count = manifests(SHARDS_JOB).find((m) => m.kind === 'Job')!.spec!.completions!;
    const [line] = manifestLines(MERGE_JOB);
    const { opts } = parseWithCli(line!.argv);
    expect(opts.merge).toEqual(Array.from({ length: count }, (_, k) => `/work/shard-${k}`));
  });

  it("the ConfigMap's suite.yaml is a valid config naming the baseline and candidates among its targets", () => {
    const config = parseConfigText(configMapSuite(), 'suite.yaml');
    expect(Object.keys(config.suite.apps).length).toBeGreaterThan(0);
    for (const name of [config.suite.baseline!, ...config.suite.candidates]) expect(Object.keys(config.targets)).toContain(name);
  });
});

describe('the GitHub Actions workflow', () => {
  it('runs on a nightly schedule and by hand, its matrix is shards 1..SHARDS, the merge job needs the shards', () => {
    const wf = parseYaml(text(WORKFLOW)) as Workflow & { on: Record<string, unknown>; jobs: Record<string, { needs?: string }> };
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['schedule', 'workflow_dispatch']));
    const shards = Number(wf.env?.SHARDS);
    expect(wf.jobs.shard?.strategy?.matrix?.shard).toEqual(Array.from({ length: shards }, (_, k) => k + 1));
    expect(wf.jobs.merge?.needs).toBe('shard');
  });
});
