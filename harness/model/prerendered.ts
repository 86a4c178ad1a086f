import type { Document } from 'mongodb';

/** Read through a prerendered reply or document: its text, without decoding it. */
const TEXT_OF: unique symbol = Symbol('mongo-compat prerendered text');

/**
 * A full reply whose document was never decoded: the capture decoders read a reply's
 * BSON straight into its canonical text (ejson/bson-text.ts) and the store's line writer
 * copies that text (canonicalTextOf). The document is still there for anyone who reads
 * `doc`: decoded from the bytes on first read. From that read on the text is dropped and
 * the document is what gets written, so a reader that changes the document never leaves
 * a stale text behind. JSON.stringify sees `{mode, doc}` as for any full reply; a spread
 * copy (`{...reply}`) would not carry `doc`, so the capture paths hand these only to the
 * store's writer.
 */
export class PrerenderedReply {
  readonly mode = 'full' as const;
  #text: Buffer | undefined;
  #decoded: Document | undefined;
  /** The document's BSON, and how the reader that rendered it decodes it. */
  readonly #bson: Buffer;
  readonly #decode: (bson: Buffer) => Document;

  constructor(text: Buffer, bson: Buffer, decode: (bson: Buffer) => Document) {
    this.#text = text;
    this.#bson = bson;
    this.#decode = decode;
  }

  get doc(): Document {
    if (this.#decoded === undefined) {
      this.#decoded = this.#decode(this.#bson);
      this.#text = undefined;
    }
    return this.#decoded;
  }

  set doc(doc: Document) {
    this.#decoded = doc;
    this.#text = undefined;
  }

  /** The document's canonical text, while the document has not been read (canonicalTextOf). */
  get [TEXT_OF](): Buffer | undefined {
    return this.#text;
  }

  toJSON(): { mode: 'full'; doc: Document } {
    return { mode: 'full', doc: this.doc };
  }
}

/** The rendered text of a prerendered reply or document, while its document has not been read; undefined for anything else. */
export function canonicalTextOf(value: object): Buffer | undefined {
  // A plain document has no such key; a prerendered document's Proxy answers it without
  // decoding (anything else, even instanceof, would decode it).
  return (value as { [TEXT_OF]?: Buffer })[TEXT_OF];
}

/**
 * A document recorded as text without being decoded, like PrerenderedReply, for a field
 * that must be a document (a record's `command`): a Proxy that decodes on the first
 * operation of any kind on it (reading a field, listing keys, `in`, writing), copies the
 * decoded fields into itself in order, and from then on is that document. Until then the
 * store's line writer copies its text (canonicalTextOf).
 */
export function prerenderedDocument(text: Buffer, bson: Buffer, decode: (bson: Buffer) => Document): Document {
  const target: Document = {};
  return new Proxy(target, new Lazy(text, bson, decode));
}

/** The Proxy handler of a prerendered document: every trap decodes first, then acts on the target. */
class Lazy implements ProxyHandler<Document> {
  constructor(
    public text: Buffer | undefined,
    private bson: Buffer | undefined,
    private readonly decode: (bson: Buffer) => Document,
  ) {}

  private settle(target: Document): void {
    const bson = this.bson;
    if (bson === undefined) return;
    this.bson = undefined;
    this.text = undefined;
    const doc = this.decode(bson);
    for (const key of Object.keys(doc)) Object.defineProperty(target, key, { value: doc[key], writable: true, enumerable: true, configurable: true });
  }

  get(target: Document, key: string | symbol, receiver: unknown): unknown {
    if (key === TEXT_OF) return this.text;
    this.settle(target);
    return Reflect.get(target, key, receiver);
  }
  set(target: Document, key: string | symbol, value: unknown, receiver: unknown): boolean {
    this.settle(target);
    return Reflect.set(target, key, value, receiver);
  }
  has(target: Document, key: string | symbol): boolean {
    this.settle(target);
    return Reflect.has(target, key);
  }
  deleteProperty(target: Document, key: string | symbol): boolean {
    this.settle(target);
    return Reflect.deleteProperty(target, key);
  }
  ownKeys(target: Document): ArrayLike<string | symbol> {
    this.settle(target);
    return Reflect.ownKeys(target);
  }
  getOwnPropertyDescriptor(target: Document, key: string | symbol): PropertyDescriptor | undefined {
    this.settle(target);
    return Reflect.getOwnPropertyDescriptor(target, key);
  }
  defineProperty(target: Document, key: string | symbol, descriptor: PropertyDescriptor): boolean {
    this.settle(target);
    return Reflect.defineProperty(target, key, descriptor);
  }
  getPrototypeOf(target: Document): object | null {
    this.settle(target);
    return Reflect.getPrototypeOf(target);
  }
  setPrototypeOf(target: Document, proto: object | null): boolean {
    this.settle(target);
    return Reflect.setPrototypeOf(target, proto);
  }
  isExtensible(target: Document): boolean {
    this.settle(target);
    return Reflect.isExtensible(target);
  }
  preventExtensions(target: Document): boolean {
    this.settle(target);
    return Reflect.preventExtensions(target);
  }
}
