/** The withdrawal form, with the limits of the user's best device and what is used of them. */
import { useEffect, useState } from 'react';
import type { UserView } from '../../../../emulator/api/sls-client.ts';
import { Alert, type SessionPageProps, usd, useRun } from './use-run.tsx';

export function WithdrawPage({ client, username, session, tick }: SessionPageProps) {
  const [user, setUser] = useState<UserView | null>(null);
  const [amount, setAmount] = useState('');
  const [bank, setBank] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const { error, run } = useRun();
  useEffect(() => void run(async () => setUser(await client.sls.user(username))), [client, username, tick]);
  if (!user) return <Alert error={error} />;
  const l = user.limits;
  return (
    <form
      className="sls-card"
      aria-label="withdraw funds"
      onSubmit={(e) => {
        e.preventDefault();
        setResult(null);
        void run(() => client.sls.withdraw({ session, amount: Number(amount), bank: bank.trim() })).then((r) => {
          if (!r) return;
          setUser(r.user);
          setResult(
            `Withdrawal of ${usd(r.withdrawal.amount)} to ${r.withdrawal.bank} accepted${r.exceptional ? ' as an exceptional withdrawal' : ''}.`,
          );
        });
      }}
    >
      <h2>Withdraw funds</h2>
      <table className="sls-table" aria-label="withdrawal limits">
        <tbody>
          <tr>
            <th>Limits of</th>
            <td>{l.device === 'none' ? 'no security device' : (user.best?.name ?? l.device)}</td>
          </tr>
          <tr>
            <th>Per day</th>
            <td>
              {usd(l.limit.day)} ({usd(l.usage.day)} used)
            </td>
          </tr>
          <tr>
            <th>Per 5 business days</th>
            <td>
              {usd(l.limit.fiveDays)} ({usd(l.usage.fiveDays)} used)
            </td>
          </tr>
        </tbody>
      </table>
      <label>
        Amount (USD) <input aria-label="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
      </label>
      <label>
        Bank account <input aria-label="bank account" value={bank} onChange={(e) => setBank(e.target.value)} />
      </label>
      <button type="submit">Withdraw</button>
      {result && <p role="status">{result}</p>}
      <Alert error={error} />
    </form>
  );
}
