/**
 * How the renderer reaches the control API. In Electron the preload bridge tells it (one function,
 * `tokenbench.connection()`); in a browser the page was opened from the URL `tokenbench serve`
 * printed, so the API is this page's origin and the token is in the address.
 */
import { TokenbenchClient } from '../../../emulator/api/client.ts';

export interface Bridge {
  connection(): Promise<{ baseUrl: string; accessToken: string }>;
}

declare global {
  interface Window {
    tokenbench?: Bridge;
  }
}

export async function connect(): Promise<TokenbenchClient> {
  if (window.tokenbench) {
    const c = await window.tokenbench.connection();
    return new TokenbenchClient(c.baseUrl, c.accessToken);
  }
  const token = new URLSearchParams(location.search).get('token');
  if (!token) throw new Error('This page needs the access token: open the URL that tokenbench serve printed (it ends with ?token=...).');
  return new TokenbenchClient(location.origin, token);
}
