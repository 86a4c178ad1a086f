import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { redactUri } from '../../../harness/targets/redact.ts';

describe('redactUri', () => {
  it('removes user and password but keeps hosts and options', () => {
    const out = redactUri('mongodb://app:s3cret@db1:27017,db2:27018/prod?replicaSet=rs1&authSource=admin');
    expect(out).not.toContain('s3cret');
    expect(out).not.toContain('app:');
    expect(out).toContain('db1:27017,db2:27018');
    expect(out).toContain('replicaSet=rs1');
  });

  it('removes secret options', () => {
    const out = redactUri('mongodb://h/?tlsCertificateKeyFilePassword=pem-pass&authMechanismProperties=AWS_SESSION_TOKEN:tok');
    expect(out).not.toContain('pem-pass');
    expect(out).not.toContain('tok');
  });

  it('reduces an unparseable string to its scheme', () => {
    expect(redactUri('mongodb://user:pw@')).toBe('mongodb://<unparseable>');
    expect(redactUri('nonsense with pw')).toBe('<unparseable connection string>');
  });

  const secret = fc.string({ minLength: 6, maxLength: 20 }).filter((s) => /[A-Za-z]{3}/.test(s));
  propTest.prop([fc.stringMatching(/^[a-z]{2,8}$/), secret, fc.constantFrom('h:1', 'a:1,b:2', 'x.example.com')])(
    'never lets a password through',
    (user, password, hosts) => {
      const uri = `mongodb://${user}:${encodeURIComponent(password)}@${hosts}/db`;
      const out = redactUri(uri);
      expect(out).not.toContain(encodeURIComponent(password));
      expect(out).not.toContain(password);
    },
  );
});
