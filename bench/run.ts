// `npm run bench [-- NAME...]`: runs bench/NAME/main.ts for each name (all when none
// is given), one after another. Every benchmark measures its own baseline in the same
// run and ends its output with one JSON line of its figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./', import.meta.url));
const available = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${root}${d.name}/main.ts`))
  .map((d) => d.name)
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
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
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `${root}${name}/main.ts`], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
