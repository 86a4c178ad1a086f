import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { parseTargetSpec } from '../../../harness/targets/spec.ts';

describe('parseTargetSpec', () => {
  it.each([
    ['baseline=mongodb://u:p@h1:27017,h2:27018/db?replicaSet=rs', { name: 'baseline', kind: 'uri', replicaSet: false }],
    ['mongodb+srv://cluster0.example.net/', { name: 'cluster0.example.net', kind: 'uri' }],
    ['b=uri:mongodb://h/?a=b', { name: 'b', kind: 'uri', uri: 'mongodb://h/?a=b' }],
    ['ferretdb', { name: 'ferretdb', kind: 'ferretdb', version: undefined, replicaSet: false }],
    ['cand=ferretdb:1.24.2+rs', { name: 'cand', kind: 'ferretdb', version: '1.24.2', replicaSet: true }],
    ['memory-server:4.4.29+rs', { name: 'memory-server-4.4.29', kind: 'memory-server', version: '4.4.29', replicaSet: true }],
    ['v7=container:mongo:7.0', { name: 'v7', kind: 'container', version: 'mongo:7.0', replicaSet: false }],
    ['container:4.2', { name: 'container-4.2', kind: 'container', version: '4.2' }],
  ])('reads %s', (text, expected) => {
    expect(parseTargetSpec(text)).toMatchObject(expected);
  });

  it.each([
    ['oracle:19', /unknown target kind 'oracle'/],
    ['x=postgres://u:secret@h/db', /must start with mongodb:\/\//],
    ['mongodb://', /malformed connection string/],
    ['memory-server', /needs a version/],
    ['', /empty target/],
    ['bad name=ferretdb', /target name 'bad name'/],
  ])('rejects %j with one line', (text, message) => {
    let caught: unknown;
    try {
      parseTargetSpec(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CompatError);
    expect((caught as CompatError).code).toBe('MC_TARGET_SPEC');
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });

  it('never echoes the password of a rejected connection string', () => {
    expect(() => parseTargetSpec('x=mongodb://admin:hunter2@')).toThrow(/malformed/);
    try {
      parseTargetSpec('x=mongodb://admin:hunter2@');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  propTest.prop([fc.string({ maxLength: 80 })])('returns a spec or throws a CompatError on any text', (text) => {
    try {
      const spec = parseTargetSpec(text);
      expect(['uri', 'ferretdb', 'memory-server', 'container']).toContain(spec.kind);
    } catch (err) {
      expect(err).toBeInstanceOf(CompatError);
    }
  });
});
