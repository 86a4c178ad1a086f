import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../harness/replay/classify.ts';

describe('classify', () => {
  it.each([
    ['find', {}, 'cursor-open'],
    ['aggregate', { pipeline: [{ $match: {} }] }, 'cursor-open'],
    ['aggregate', { pipeline: [{ $match: {} }, { $merge: { into: 'x' } }] }, 'write'],
    ['aggregate', { pipeline: [{ $out: 'x' }] }, 'write'],
    ['getMore', {}, 'get-more'],
    ['killCursors', {}, 'kill-cursors'],
    ['count', {}, 'read'],
    ['distinct', {}, 'read'],
    ['findAndModify', {}, 'write'],
    ['insert', {}, 'write'],
    ['createIndexes', {}, 'write'],
    ['mapReduce', { out: { inline: 1 } }, 'read'],
    ['mapReduce', { out: 'coll' }, 'write'],
    ['isMaster', {}, 'hello'],
    ['hello', {}, 'hello'],
    ['isMaster', { client: { driver: { name: 'nodejs', version: '6.9.0' } } }, 'handshake'],
    ['hello', { topologyVersion: {}, maxAwaitTimeMS: 10000 }, 'handshake'],
    ['ismaster', { saslSupportedMechs: 'admin.app', speculativeAuthenticate: {} }, 'handshake'],
    ['listCommands', {}, 'read'],
    ['replSetGetStatus', {}, 'read'],
    ['getDefaultRWConcern', {}, 'read'],
    ['connPoolStats', {}, 'read'],
    ['lockInfo', {}, 'read'],
    ['setParameter', {}, 'write'],
    ['saslStart', {}, 'handshake'],
    ['endSessions', {}, 'session'],
    ['someFutureAdminCommand', {}, 'write'],
  ])('%s %j is %s', (cmd, body, kind) => {
    expect(classify(cmd, { [cmd]: 1, ...body })).toBe(kind);
  });

  it('treats an explain that executes a write as a write', () => {
    expect(classify('explain', { explain: { update: 'c', updates: [] }, verbosity: 'executionStats' })).toBe('write');
    expect(classify('explain', { explain: { update: 'c', updates: [] }, verbosity: 'queryPlanner' })).toBe('read');
    expect(classify('explain', { explain: { find: 'c' } })).toBe('read');
  });

  it('replays profile only when it asks for the level', () => {
    expect(classify('profile', { profile: -1 })).toBe('read');
    expect(classify('profile', { profile: 2, slowms: 0 })).toBe('write');
    expect(classify('profile', { profile: 0 })).toBe('write');
  });

  test.prop([fc.string(), fc.anything()])('never throws on any command', (cmd, body) => {
    classify(cmd, { [cmd]: 1, pipeline: body, out: body, explain: body });
  });
});
