// Types of .dependency-cruiser.mjs for the test that proves its rules fire.
export declare const LAYERS: readonly (readonly string[])[];
export declare function layerRules(root?: string): { name: string; comment: string; severity: string; from: object; to: object }[];
declare const config: { forbidden: ReturnType<typeof layerRules>; options: Record<string, unknown> };
export default config;
