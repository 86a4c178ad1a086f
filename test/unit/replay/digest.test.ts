import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { BSON } from 'mongodb';
import { OutcomeDigest, stripVolatile } from '../../../harness/replay/digest.ts';

const doc = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !k.startsWith('$') && !k.includes('.') && !k.includes('\u0000')), fc.oneof(fc.integer(), fc.string({ maxLength: 2000 }), fc.boolean()), { maxKeys: 6 });

describe('outcome digest', () => {
  test.prop([doc, fc.array(doc, { maxLength: 300 })], { numRuns: 40 })(
    'is SHA-256 over the stripped reply then each document, whether buffered or streamed (long cursors)',
    (reply, docs) => {
      const d = new OutcomeDigest();
      d.reply(reply);
      // Fed in batches as getMores arrive; large batches cross the streaming threshold.
      for (let i = 0; i < docs.length; i += 50) d.docs(docs.slice(i, i + 50));
      const h = createHash('sha256').update(BSON.serialize(stripVolatile(reply)));
      for (const x of docs) h.update(BSON.serialize(x));
      expect(d.hex()).toBe(h.digest('hex'));
    },
  );

  test.prop([fc.option(fc.integer(), { nil: undefined }), fc.option(fc.string(), { nil: undefined })])('digests errors by code and codeName only', (code, codeName) => {
    const a = new OutcomeDigest();
    a.error({ code, codeName });
    const b = new OutcomeDigest();
    b.error({ code, codeName, message: 'differs' } as { code?: number; codeName?: string });
    expect(a.hex()).toBe(b.hex());
  });
});
