/** Bundles the command line into `outdir`; returns esbuild's metafile. */
export declare function buildCli(
  root: string,
  outdir: string,
): Promise<{ inputs: Record<string, unknown>; outputs: Record<string, { inputs: Record<string, unknown> }> }>;
