/** Where tokenbench keeps its data: the platform's per-user data folder unless --data-dir says. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env = process.env, platform = process.platform): string {
  if (env.TOKENBENCH_DATA_DIR) return env.TOKENBENCH_DATA_DIR;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'tokenbench', 'Data');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'tokenbench');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tokenbench');
}

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
