import type { Rule } from '../types.ts';
import { RULES_4_4 } from './v4.4.ts';
import { RULES_5_0 } from './v5.0.ts';
import { RULES_6_0 } from './v6.0.ts';
import { RULES_7_0 } from './v7.0.ts';
import { RULES_8_0 } from './v8.0.ts';

/** The knowledge base: every rule, in path order. Coverage of the research notes is in README.md beside it. */
export const RULES: readonly Rule[] = Object.freeze([...RULES_4_4, ...RULES_5_0, ...RULES_6_0, ...RULES_7_0, ...RULES_8_0]);
