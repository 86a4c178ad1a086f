import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../harness/cli/program.ts';

function find(program: Command, ...names: string[]): Command | undefined {
  let cmd: Command | undefined = program;
  for (const n of names) cmd = cmd?.commands.find((c) => c.name() === n);
  return cmd;
}

describe('the mongo-compat program', () => {
  it('builds the help of every command (flag tables included)', () => {
    const program = buildProgram();
    const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
    for (const cmd of all(program)) expect(cmd.helpInformation({ error: false })).toContain('Usage:');
  });

  it('merges runs under `run merge`, keeping `merge` as a hidden alias', () => {
    const program = buildProgram();
    expect(find(program, 'run', 'merge')?.description()).toMatch(/merge shard runs/);
    expect(find(program, 'merge')).toBeDefined();
    const help = program.helpInformation({ error: false });
    expect(help).toMatch(/^\s+run\b/m);
    expect(help).not.toMatch(/^\s+merge\b/m);
  });

  it('has no test-only flag on bench contention', () => {
    const help = find(buildProgram(), 'bench', 'contention')!;
    expect(help.options.map((o) => o.long)).not.toContain('--broken-worker');
  });
});
