/** What every CLI command provides, and what it gets to talk to the world. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  now(): number;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code; throws UsageError or InputError for bad input. */
  run(args: string[], io: Io): number | Promise<number>;
}
