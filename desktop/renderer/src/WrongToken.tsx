/** The page shown when the server refuses this page's access token: what happened, and what to do. */
export function WrongToken() {
  return (
    <main className="wrong-token" aria-labelledby="wrong-token-title">
      <h1 id="wrong-token-title">This page's access token is not accepted</h1>
      <p>
        tokenbench serve is running, but it no longer takes the access token in this page's address. That happens after{' '}
        <code>tokenbench serve --new-token</code>, or when this address was for another data directory.
      </p>
      <p>What to do:</p>
      <ol>
        <li>
          Open the URL that <code>tokenbench serve</code> printed when it started (it ends with <code>?token=…</code>).
        </li>
        <li>
          Lost it? It is the <code>url</code> in <code>server.json</code> in serve's data directory (readable by you only), or run{' '}
          <code>tokenbench tokens list</code> on the same machine to check that serve is up.
        </li>
        <li>Update your bookmark to the new URL: the token then stays the same across restarts of serve.</li>
      </ol>
    </main>
  );
}
