import { describe, expect, it } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { parseConfigText } from '../../../harness/config/load.ts';

function errorOf(text: string): string {
  try {
    parseConfigText(text, 'mc.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(CompatError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseConfigText', () => {
  it('reads named targets and defaults the rest', () => {
    const config = parseConfigText('targets:\n  base: ferretdb\n  cand: mongodb://h/\n', 'mc.yaml');
    expect(config.targets).toEqual({ base: 'ferretdb', cand: 'mongodb://h/' });
    const empty = parseConfigText('', 'mc.yaml');
    expect(empty.targets).toEqual({});
    // Every other section exists with its defaults, so stages never check for absence.
    expect(Object.keys(empty).sort()).toEqual(Object.keys(config).sort());
  });

  it('names file, line and field of a wrong type', () => {
    expect(errorOf('targets:\n  base: 12\n')).toMatch(/^mc\.yaml:2:9 targets\.base: /);
  });

  it('names an unknown key', () => {
    expect(errorOf('targetz:\n  a: b\n')).toMatch(/^mc\.yaml:1:1 \(top level\): unknown key targetz/);
  });

  it('says what a value should be, in the words the flags use', () => {
    expect(errorOf('replay:\n  timing: slow\n')).toBe('mc.yaml:2:11 replay.timing: expected fast or recorded');
    expect(errorOf('proxy:\n  listen: nope\n')).toBe('mc.yaml:2:11 proxy.listen: expected HOST:PORT');
    expect(errorOf('bench:\n  contention:\n    warmup: later\n')).toMatch(/^mc\.yaml:3:13 bench\.contention\.warmup: expected a duration/);
    expect(errorOf('proxy:\n  maxQueueMb: 0\n')).toBe('mc.yaml:2:15 proxy.maxQueueMb: must be positive');
    expect(errorOf('replay:\n  mapDb:\n    "a=b": c\n')).toBe('mc.yaml:3:12 replay.mapDb.a=b: expected a database name without "="');
  });

  it('names the line of a YAML syntax error', () => {
    expect(errorOf('targets:\n  a: [b\n')).toMatch(/^mc\.yaml:\d+:\d+: /);
  });
});
