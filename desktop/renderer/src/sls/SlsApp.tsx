/**
 * The Secure Login System in the desktop: the portal (login, then Settings › Secure Login System
 * and the withdrawal form) beside the lab operator's panel and the IB Key phone. docs/sls.md.
 */
import { useState } from 'react';
import type { TokenbenchClient } from '../../../../emulator/api/client.ts';
import { LoginPage } from './LoginPage.tsx';
import { OperatorPanel } from './OperatorPanel.tsx';
import { PhoneFace } from './PhoneFace.tsx';
import { SettingsPage } from './SettingsPage.tsx';
import { WithdrawPage } from './WithdrawPage.tsx';
import './sls.css';

export function SlsApp({ client }: { client: TokenbenchClient }) {
  const [who, setWho] = useState<{ username: string; session: string } | null>(null);
  const [page, setPage] = useState<'settings' | 'withdraw'>('settings');
  // bumped after any change, so every panel reloads what it shows
  const [tick, setTick] = useState(0);
  const changed = () => setTick((t) => t + 1);
  return (
    <div className="sls">
      <div className="sls-portal">
        <LoginPage
          client={client}
          onSession={(username, session) => {
            setWho({ username, session });
            changed();
          }}
          onLogout={() => {
            setWho(null);
            changed();
          }}
        />
        {who && (
          <>
            <nav className="sls-tabs" aria-label="portal">
              <button type="button" aria-pressed={page === 'settings'} onClick={() => setPage('settings')}>
                Settings
              </button>
              <button type="button" aria-pressed={page === 'withdraw'} onClick={() => setPage('withdraw')}>
                Withdraw
              </button>
            </nav>
            {page === 'settings' ? (
              <SettingsPage key={who.session} client={client} {...who} tick={tick} />
            ) : (
              <WithdrawPage key={who.session} client={client} {...who} tick={tick} />
            )}
          </>
        )}
      </div>
      <OperatorPanel client={client} tick={tick} onChange={changed} />
      <PhoneFace client={client} tick={tick} onChange={changed} />
    </div>
  );
}
