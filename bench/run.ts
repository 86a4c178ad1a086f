// `npm run bench [-- NAME... [--OPTION [VALUE]]...]`: runs bench/NAME/main.ts for each
// name (all when none is given), one after another, passing the options to each. Every
// benchmark measures its own baseline in the same run and ends its output with one JSON
// line of its figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./', import.meta.url));
const available = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${root}${d.name}/main.ts`))
  .map((d) => d.name)
  .sort();
const args = process.argv.slice(2);
const wanted: string[] = [];
const options: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (!a.startsWith('-')) wanted.push(a);
  else {
    options.push(a);
    // `--runs 2`: a word after an option is its value unless it names a benchmark.
    const next = args[i + 1];
    if (!a.includes('=') && next !== undefined && !next.startsWith('-') && !available.includes(next)) options.push(args[++i]!);
  }
}
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0 || available.length === 0) {
  process.stderr.write(
    `bench: ${unknown.length > 0 ? `no benchmark named ${unknown.join(', ')}` : 'no benchmarks yet'}; available: ${available.join(', ') || 'none'}\n`,
  );
  process.exit(2);
}
let failed = false;
for (const name of wanted.length > 0 ? wanted : available) {
  process.stderr.write(`== bench ${name}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `${root}${name}/main.ts`, ...options], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
