// Types of scripts/build.mjs for the TypeScript that calls it (the bench, the tests).
export interface BuildStamp {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}
export interface BuildManifest {
  readonly version: number;
  readonly id: string;
  /** Entry name → its bundled file, relative to the output directory. */
  readonly entries: Readonly<Record<string, string>>;
  readonly inputs: readonly BuildStamp[];
  readonly dirs: readonly BuildStamp[];
}
export interface BuildOptions {
  readonly root?: string;
  readonly outdir?: string;
  readonly entries?: Readonly<Record<string, string>>;
}
export declare const ROOT: string;
/** Where the build of the package at `root` goes unless told otherwise: node_modules/.cache/mongo-compat. */
export declare function buildDir(root?: string): string;
export declare const CLI_ENTRIES: Readonly<Record<string, string>>;
export declare function build(options?: BuildOptions): Promise<{ dir: string; manifest: BuildManifest; entry: (name: string) => string }>;
export declare function readManifest(outdir: string): BuildManifest | undefined;
export declare function staleReason(
  manifest: Pick<BuildManifest, 'inputs' | 'dirs'>,
  root: string,
  statFn?: (path: string) => { size: number; mtimeMs: number; isDirectory(): boolean } | undefined,
): string | undefined;
export declare function currentEntry(name: string, options?: { root?: string; outdir?: string }): { file: string } | { reason: string };
