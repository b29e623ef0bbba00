export declare const SOURCES_FILE: string;
/** Whether `${root}dist/cli` was built from the sources as they are; `root` ends with a slash. */
export declare function bundleState(root: string): { current: true } | { current: false; why: string };
