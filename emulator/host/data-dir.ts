/**
 * The data directory on disk: made with mode 0700, with a word when others could change it, and the
 * token folders found in its tokens/ folder at start. Staging folders an interrupted creation or
 * delete left are removed; a token folder that is a link or has no meta record is reported, not
 * loaded.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readMeta, type Meta } from './hosted-token.ts';

/** A token folder found at start: its meta record, or why it cannot be loaded. */
export interface FoundToken {
  id: string;
  dir: string;
  meta?: Meta;
  error?: string;
}

/** Makes the data directory (0700) and its tokens folder; says in `problems` when others could change it. */
export function prepareDataDir(dataDir: string, tokensDir: string, problems: string[]): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    const st = statSync(dataDir);
    if (st.mode & 0o022)
      problems.push(
        `the data directory ${dataDir} can be written by other users (mode ${(st.mode & 0o777).toString(8)}): they could change its tokens; chmod 700 it`,
      );
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid)
      problems.push(
        `the data directory ${dataDir} belongs to user ${st.uid}, not to this user (${uid}): whoever owns it can change its tokens`,
      );
  }
  if (!existsSync(tokensDir)) mkdirSync(tokensDir, { mode: 0o700 });
}

/** The token folders in `tokensDir`, in the order they were created. */
export function findTokens(tokensDir: string): FoundToken[] {
  const found: FoundToken[] = [];
  for (const id of readdirSync(tokensDir).sort()) {
    const dir = join(tokensDir, id);
    // Staging folders are what an interrupted creation or delete left; other dot names are not tokens.
    if (id.startsWith('.new-') || id.startsWith('.gone-')) rmSync(dir, { recursive: true, force: true });
    if (id.startsWith('.')) continue;
    try {
      if (lstatSync(dir).isSymbolicLink()) throw new Error(`${dir} is a symbolic link; tokenbench keeps no token through a link`);
      const meta = readMeta(dir);
      if (!meta) throw new Error(`${dir} has no meta.rec`);
      found.push({ id, dir, meta });
    } catch (err) {
      found.push({ id, dir, error: (err as Error).message });
    }
  }
  // Tokens come back in the order they were created.
  found.sort((a, b) => (a.meta?.createdAt ?? 0) - (b.meta?.createdAt ?? 0) || a.id.localeCompare(b.id));
  return found;
}
