import { describe, expect, test } from 'vitest';
import { isAuthCommand, REDACTED, stripCredentials, stripReplyCredentials } from '../../../../harness/capture/proxy/credentials.ts';
import { rewriteHelloHosts } from '../../../../harness/capture/proxy/host-rewrite.ts';
import { replyCount, replyError } from '../../../../harness/capture/proxy/reply-summary.ts';
import { parseUpstream } from '../../../../harness/capture/proxy/upstream.ts';

describe('hello host rewriting', () => {
  const map = new Map([
    ['db1:27017', '127.0.0.1:27018'],
    ['db2:27017', '127.0.0.1:27019'],
  ]);
  test('hosts, passives, arbiters, primary and me move to the proxy listeners; unknown hosts stay', () => {
    const reply = { hosts: ['db1:27017', 'DB2:27017'], passives: ['db2:27017'], arbiters: ['other:1'], primary: 'db1:27017', me: 'db2:27017', setName: 'rs' };
    expect(rewriteHelloHosts(reply, map)).toBe(true);
    expect(reply).toEqual({ hosts: ['127.0.0.1:27018', '127.0.0.1:27019'], passives: ['127.0.0.1:27019'], arbiters: ['other:1'], primary: '127.0.0.1:27018', me: '127.0.0.1:27019', setName: 'rs' });
  });
  test('a standalone hello is left alone', () => {
    expect(rewriteHelloHosts({ isWritablePrimary: true }, map)).toBe(false);
  });
});

describe('credentials', () => {
  test('every auth conversation command is recognised, in any case', () => {
    for (const c of ['saslStart', 'saslContinue', 'authenticate', 'getnonce', 'SASLSTART', 'copydbSaslStart']) expect(isAuthCommand(c)).toBe(true);
    expect(isAuthCommand('find')).toBe(false);
  });
  test('speculativeAuthenticate and passwords are stripped', () => {
    const hello: Record<string, unknown> = { hello: 1, speculativeAuthenticate: { saslStart: 1, payload: 'secret' } };
    stripCredentials('hello', hello);
    expect(hello).toEqual({ hello: 1 });
    const user: Record<string, unknown> = { createUser: 'bob', pwd: 'pw', roles: [] };
    stripCredentials('createUser', user);
    expect(user.pwd).toBe(REDACTED);
    const reply: Record<string, unknown> = { ok: 1, speculativeAuthenticate: { payload: 'x' } };
    stripReplyCredentials(reply);
    expect(reply).toEqual({ ok: 1 });
  });
  test('the upstream URI is only ever shown redacted', () => {
    const up = parseUpstream('mongodb://u:p4ss@h1:27017,h2/?replicaSet=rs&tls=true&tlsCAFile=/ca.pem');
    expect(up.display).not.toContain('p4ss');
    expect(up.members).toEqual([
      { host: 'h1', port: 27017 },
      { host: 'h2', port: 27017 },
    ]);
    expect(up).toMatchObject({ tls: true, replicaSet: 'rs', tlsCAFile: '/ca.pem' });
    expect(() => parseUpstream('mongodb+srv://u:p4ss@cluster.example.com')).toThrow(/mongodb\+srv/);
  });
});

describe('reply summary', () => {
  test('errors: command failure, first write error, write concern error', () => {
    expect(replyError({ ok: 0, code: 59, codeName: 'CommandNotFound', errmsg: 'no such command' })).toEqual({ code: 59, codeName: 'CommandNotFound', message: 'no such command' });
    expect(replyError({ ok: 1, n: 0, writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000' }] })).toEqual({ code: 11000, message: 'E11000' });
    expect(replyError({ ok: 1, writeConcernError: { code: 64, errmsg: 'wc' } })).toEqual({ code: 64, message: 'wc' });
    expect(replyError({ ok: 1 })).toBeUndefined();
  });
  test('counts: batch length or n', () => {
    expect(replyCount({ cursor: { firstBatch: [1, 2, 3] } })).toBe(3);
    expect(replyCount({ cursor: { nextBatch: [] } })).toBe(0);
    expect(replyCount({ n: 4 })).toBe(4);
  });
});
