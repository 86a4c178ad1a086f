import type { Document } from 'mongodb';

/**
 * A full reply whose document was never decoded: the capture decoders read a reply's
 * BSON straight into its canonical text (ejson/bson-text.ts) and the store's line writer
 * copies that text (canonicalTextOf). The document is still there for anyone who reads
 * `doc`: decoded from the bytes on first read. From that read on the text is dropped and
 * the document is what gets written, so a reader that changes the document never leaves
 * a stale text behind. JSON.stringify sees `{mode, doc}` as for any full reply.
 */
export class PrerenderedReply {
  readonly mode = 'full' as const;
  private text: Buffer | undefined;
  private decoded: Document | undefined;

  constructor(
    text: Buffer,
    /** The document's BSON, and how the reader that rendered it decodes it. */
    private readonly bson: Buffer,
    private readonly decode: (bson: Buffer) => Document,
  ) {
    this.text = text;
  }

  get doc(): Document {
    if (this.decoded === undefined) {
      this.decoded = this.decode(this.bson);
      this.text = undefined;
    }
    return this.decoded;
  }

  set doc(doc: Document) {
    this.decoded = doc;
    this.text = undefined;
  }

  /** The document's canonical text, while the document has not been read. */
  get canonicalText(): Buffer | undefined {
    return this.text;
  }

  toJSON(): { mode: 'full'; doc: Document } {
    return { mode: 'full', doc: this.doc };
  }
}

/** The reply's rendered text, while its document has not been read. */
export function canonicalTextOf(reply: object): Buffer | undefined {
  return reply instanceof PrerenderedReply ? reply.canonicalText : undefined;
}
