/**
 * The demo's defaults, apart from the demo itself so that `mongo-compat demo --help`
 * can show them without loading every stage.
 */
/** Where the demo writes unless told otherwise (relative to the working directory). */
export const DEMO_REPORTS_DIR = 'reports';
