/**
 * `tokenbench sls ...`: the Secure Login System of a running host (docs/sls.md). Passwords come
 * from --password or $TOKENBENCH_PASSWORD (prefer the variable: flags show in process lists);
 * nothing prints a password or PIN back.
 */
import type { LoginState, UserView } from '../../api/sls-client.ts';
import { int, oneOf, parse, required, str, UsageError, type OptionSpec, type Parsed } from '../args.ts';
import type { Command, Io } from './command.ts';
import { clientOf, SERVER_OPTIONS } from './tokens.ts';

const O = (...names: string[]): OptionSpec => ({
  ...SERVER_OPTIONS,
  ...Object.fromEntries(
    names.map((n) => [
      n,
      { type: n === 'acknowledge' || n === 'push' || n === 'biometrics' || n === 'off' || n === 'on' ? 'boolean' : 'string' } as const,
    ]),
  ),
});

function password(p: Parsed, flag = 'password', env = 'TOKENBENCH_PASSWORD'): string {
  const v = str(p, flag) ?? process.env[env];
  if (!v) throw new UsageError(`give --${flag} or set ${env}`);
  return v;
}

const money = (cents: number | null) => (cents === null ? 'no limit' : `${(cents / 100).toLocaleString('en-US')} USD`);

function userLines(u: UserView): string[] {
  const lines = [
    `${u.username}  account ${u.accountId}${u.primary ? ' (primary)' : ` (settings: ${u.primaryUser})`}  entity ${u.entityId}${u.optedOut ? '  OPTED OUT' : ''}${u.locked ? '  LOCKED' : ''}`,
  ];
  for (const d of [...u.devices, ...u.shared.map((x) => ({ ...x, status: `shared by ${x.owner}` }))])
    lines.push(`  ${d.id}  ${d.name}${d.tokenId ? ` (${d.tokenId})` : ''}  ${d.status}`);
  lines.push(
    `  limits (${u.limits.device}): ${money(u.limits.limit.day)} a day (${money(u.limits.usage.day)} used), ${money(u.limits.limit.fiveDays)} in 5 business days (${money(u.limits.usage.fiveDays)} used)`,
  );
  return lines;
}

function loginLines(l: LoginState): string[] {
  if (l.status === 'done') return [`logged in as ${l.username}; session ${l.session}`, l.message];
  if (l.status === 'failed') return [`login ${l.id} failed: ${l.message}`];
  const out = [`login ${l.id}: ${l.device!.name}${l.device!.tokenId ? ` (${l.device!.tokenId})` : ''}`];
  if (l.challenge) out.push(`challenge ${l.challenge}`);
  if (l.indexes) out.push(`index numbers ${l.indexes[0]} ${l.indexes[1]}`);
  out.push(l.message, `answer with: tokenbench sls login --id ${l.id} --response ...`);
  return out;
}

function print(io: Io, p: Parsed, value: unknown, lines: () => string[]): void {
  if (p.values.json) io.out(JSON.stringify(value, null, 2));
  else for (const l of lines()) io.out(l);
}

const positional = (p: Parsed, i: number, what: string): string => {
  const v = p.positionals[i];
  if (!v) throw new UsageError(`needs ${what}`);
  return v;
};

export const slsCommand: Command = {
  name: 'sls',
  summary: 'the Secure Login System: users, login, sharing, opt-out, withdrawals, IB Key',
  usage: `tokenbench sls users [USERNAME] [--json]
tokenbench sls users add USERNAME --entity ID [--account ID] [--password P]
tokenbench sls users device USERNAME KIND [--token ID]    (KIND dscplus|dsc|card|online-card|temp-code)
tokenbench sls demo [--password P]                          (creates the demo lab)
tokenbench sls login USERNAME [--password P] [--push]       (prints the second-factor step)
tokenbench sls login --id LOGIN --response R                (answers it; prints the session)
tokenbench sls logout --session S
tokenbench sls clock [--advance MS|--set UNIX_MS|--pause|--resume|--real]   (the SLS lab clock alone; \`POST /api/clock\` moves it with every token)
tokenbench sls share challenge --owner U --device D
tokenbench sls share --session S --owner U --device D [--challenge C] --response R [--owner-password P]
tokenbench sls share list [--status pending|active|rejected|cancelled]
tokenbench sls share approve|reject|cancel ID [--session S]
tokenbench sls opt-out --session S [--acknowledge]          (without --acknowledge: prints the risks)
tokenbench sls opt-in --session S
tokenbench sls trade USERNAME MARKET                       (MARKET stocks|options|futures|forex|bonds|pink-sheets|otcbb)
tokenbench sls withdraw --session S --amount USD --bank B [--request-id R]
tokenbench sls sms
tokenbench sls ibkey phones | phone ID
tokenbench sls ibkey add-phone ID --os ios|android --version N [--biometrics face-id|touch-id|fingerprint|none]
tokenbench sls ibkey network ID --on|--off
tokenbench sls ibkey activate ID --user U --number DIGITS [--password P] [--recover]
tokenbench sls ibkey confirm ID --request R --code C [--pin PIN] [--biometrics]
tokenbench sls ibkey respond ID --user U --challenge C [--pin PIN]
tokenbench sls ibkey approve ID --notification N (--biometric succeed|fail|cancel | --pin PIN)
tokenbench sls ibkey reinstall|decline-recovery ID
  Passwords: --password or $TOKENBENCH_PASSWORD (owner: --owner-password or $TOKENBENCH_OWNER_PASSWORD).
  PINs: --pin or $TOKENBENCH_PIN. Every command finds the server through --url, $TOKENBENCH_URL or --data-dir.`,
  async run(args, io) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'users': {
        if (rest[0] === 'add') {
          const p = parse('sls users add', rest.slice(1), O('entity', 'account', 'password'), true);
          const u = await clientOf(p).sls.createUser({
            username: positional(p, 0, 'a USERNAME'),
            password: password(p),
            entityId: required(p, 'entity', 'sls users add'),
            accountId: str(p, 'account'),
          });
          print(io, p, u, () => userLines(u));
          return 0;
        }
        if (rest[0] === 'device') {
          const p = parse('sls users device', rest.slice(1), O('token'), true);
          const kind = positional(p, 1, 'a device KIND');
          if (!['dscplus', 'dsc', 'card', 'online-card', 'temp-code'].includes(kind))
            throw new UsageError(`KIND must be dscplus, dsc, card, online-card or temp-code, got "${kind}"`);
          const r = await clientOf(p).sls.addDevice(positional(p, 0, 'a USERNAME'), { kind: kind as never, tokenId: str(p, 'token') });
          print(io, p, r, () => [
            `added ${r.device.id} (${r.device.name}) to ${r.device.owner}`,
            ...(r.code ? [`Temporary Code ${r.code} (valid 2 days; shown this once)`] : []),
          ]);
          return 0;
        }
        const p = parse('sls users', rest, O(), true);
        const c = clientOf(p);
        const users = p.positionals[0] ? [await c.sls.user(p.positionals[0])] : await c.sls.users();
        print(io, p, p.positionals[0] ? users[0] : users, () =>
          users.length ? users.flatMap(userLines) : ['no SLS users (tokenbench sls demo creates a demo lab)'],
        );
        return 0;
      }
      case 'demo': {
        const p = parse('sls demo', rest, O('password'));
        const r = await clientOf(p).sls.demo(password(p));
        print(io, p, r, () => [`demo lab created: users ${r.users.join(', ')}`, `ann.temp's Temporary Code: ${r.tempCode}`]);
        return 0;
      }
      case 'login': {
        const p = parse('sls login', rest, O('password', 'id', 'response', 'push'), true);
        const c = clientOf(p);
        const id = str(p, 'id');
        let l: LoginState;
        if (id) l = await c.sls.answer(id, required(p, 'response', 'sls login --id'));
        else {
          l = await c.sls.login(positional(p, 0, 'a USERNAME (or --id LOGIN --response R)'), password(p));
          if (p.values.push && l.status === 'second-factor') l = await c.sls.push(l.id);
        }
        print(io, p, l, () => loginLines(l));
        return l.status === 'failed' ? 1 : 0;
      }
      case 'share': {
        const [verb] = rest;
        if (verb === 'challenge') {
          const p = parse('sls share challenge', rest.slice(1), O('owner', 'device'));
          const r = await clientOf(p).sls.shareChallenge(
            required(p, 'owner', 'sls share challenge'),
            required(p, 'device', 'sls share challenge'),
          );
          print(io, p, r, () => [
            r.indexes
              ? `index numbers ${r.indexes[0]} ${r.indexes[1]} (challenge id ${r.challenge})`
              : r.challenge
                ? `challenge ${r.challenge}`
                : 'no challenge: answer with the passcode the device shows',
          ]);
          return 0;
        }
        if (verb === 'list') {
          const p = parse('sls share list', rest.slice(1), O('status'));
          const r = await clientOf(p).sls.sharings(oneOf(p, 'status', ['pending', 'active', 'rejected', 'cancelled'] as const));
          print(io, p, r, () =>
            r.length ? r.map((s) => `${s.id}  ${s.deviceId} of ${s.owner} -> ${s.requester}  ${s.status}`) : ['no sharings'],
          );
          return 0;
        }
        if (verb === 'approve' || verb === 'reject' || verb === 'cancel') {
          const p = parse(`sls share ${verb}`, rest.slice(1), O('session'), true);
          const c = clientOf(p);
          const sid = positional(p, 0, 'a sharing ID');
          const r =
            verb === 'approve'
              ? await c.sls.approve(sid)
              : verb === 'reject'
                ? await c.sls.reject(sid)
                : await c.sls.cancelSharing(required(p, 'session', 'sls share cancel'), sid);
          print(io, p, r, () => [`sharing ${r.id}: ${r.status}`]);
          return 0;
        }
        const p = parse('sls share', rest, O('session', 'owner', 'device', 'challenge', 'response', 'owner-password'));
        const r = await clientOf(p).sls.share({
          session: required(p, 'session', 'sls share'),
          owner: required(p, 'owner', 'sls share'),
          ownerPassword: password(p, 'owner-password', 'TOKENBENCH_OWNER_PASSWORD'),
          deviceId: required(p, 'device', 'sls share'),
          challenge: str(p, 'challenge'),
          response: required(p, 'response', 'sls share'),
        });
        print(io, p, r, () => [`sharing ${r.id}: ${r.status === 'pending' ? 'pending compliance approval' : r.status}`]);
        return 0;
      }
      case 'opt-out':
      case 'opt-in': {
        const p = parse(`sls ${sub}`, rest, O('session', 'acknowledge'));
        const c = clientOf(p);
        const session = required(p, 'session', `sls ${sub}`);
        if (sub === 'opt-out' && !p.values.acknowledge) {
          const r = await c.sls.risks();
          print(io, p, r, () => [
            'Opting out of the Secure Login System:',
            ...r.risks.map((x) => `  - ${x}`),
            'Run again with --acknowledge to opt out.',
          ]);
          return 0;
        }
        const u = sub === 'opt-out' ? await c.sls.optOut(session, true) : await c.sls.optIn(session);
        print(io, p, u, () => [
          `account ${u.accountId} ${u.optedOut ? 'opted out: password-only logins, restricted trading' : 'is in the Secure Login System: two-factor login at every login'}`,
        ]);
        return 0;
      }
      case 'trade': {
        const p = parse('sls trade', rest, O(), true);
        const market = positional(p, 1, 'a MARKET');
        const r = await clientOf(p).sls.trade(positional(p, 0, 'a USERNAME'), market as never);
        print(io, p, r, () => [`${r.allowed ? 'allowed' : 'refused'}: ${r.reason}`]);
        return r.allowed ? 0 : 1;
      }
      case 'withdraw': {
        const p = parse('sls withdraw', rest, O('session', 'amount', 'bank', 'request-id'));
        const text = required(p, 'amount', 'sls withdraw');
        if (!/^\d{1,12}(\.\d{1,2})?$/.test(text)) throw new UsageError(`--amount must be USD with at most 2 decimals, got "${text}"`);
        const r = await clientOf(p).sls.withdraw({
          session: required(p, 'session', 'sls withdraw'),
          amount: Number(text),
          bank: required(p, 'bank', 'sls withdraw'),
          requestId: str(p, 'request-id'),
        });
        print(io, p, r, () => [
          `withdrawal ${r.withdrawal.id} of ${money(r.withdrawal.amount)} to ${r.withdrawal.bank} accepted${r.exceptional ? ' as an exceptional withdrawal' : ''}${r.repeated ? ' (already done: counted once)' : ''}`,
        ]);
        return 0;
      }
      case 'logout': {
        const p = parse('sls logout', rest, O('session'));
        const r = await clientOf(p).sls.logout(required(p, 'session', 'sls logout'));
        print(io, p, r, () => [`${r.username} logged out`]);
        return 0;
      }
      case 'clock': {
        const p = parse('sls clock', rest, {
          ...O('advance', 'set'),
          pause: { type: 'boolean' },
          resume: { type: 'boolean' },
          real: { type: 'boolean' },
        });
        const op: { advance?: number; set?: number; pause?: boolean; real?: true } = {};
        for (const k of ['advance', 'set'] as const) {
          const v = str(p, k);
          if (v === undefined) continue;
          if (!/^\d{1,16}$/.test(v)) throw new UsageError(`--${k} must be milliseconds (a whole number, 0 or more), got "${v}"`);
          op[k] = Number(v);
        }
        if (p.values.pause && p.values.resume) throw new UsageError('give --pause or --resume, not both');
        if (p.values.pause) op.pause = true;
        if (p.values.resume) op.pause = false;
        if (p.values.real) op.real = true;
        const c = clientOf(p);
        const r = Object.keys(op).length ? await c.sls.setClock(op) : await c.sls.clock();
        print(io, p, r, () => [
          `SLS lab clock ${new Date(r.clock).toISOString()}${r.paused ? ' (paused)' : r.rate !== 1 ? ` (x${r.rate})` : ''}`,
        ]);
        return 0;
      }
      case 'sms': {
        const p = parse('sls sms', rest, O());
        const r = await clientOf(p).sls.sms();
        print(io, p, r, () =>
          r.length ? r.map((m) => `${new Date(m.at).toISOString()}  to ${m.number}: ${m.text}`) : ['the SMS inbox is empty'],
        );
        return 0;
      }
      case 'ibkey':
        return ibkey(rest, io);
    }
    throw new UsageError(
      sub === undefined || sub.startsWith('-')
        ? '"sls" needs a subcommand: users, demo, login, logout, clock, share, opt-out, opt-in, trade, withdraw, sms or ibkey'
        : `unknown sls subcommand "${sub}" (see tokenbench sls --help)`,
    );
  },
};

async function ibkey(args: string[], io: Io): Promise<number> {
  const [verb, ...rest] = args;
  const p = parse(
    `sls ibkey ${verb ?? ''}`.trim(),
    rest,
    O(
      'os',
      'version',
      'biometrics',
      'on',
      'off',
      'user',
      'number',
      'password',
      'recover',
      'request',
      'code',
      'pin',
      'challenge',
      'notification',
      'biometric',
    ),
    true,
  );
  const c = clientOf(p);
  const id = () => positional(p, 0, 'a phone ID');
  const pin = () =>
    str(p, 'pin') ??
    process.env.TOKENBENCH_PIN ??
    (() => {
      throw new UsageError('give --pin or set TOKENBENCH_PIN');
    })();
  const phoneLine = (x: Awaited<ReturnType<typeof c.sls.phone>> | Awaited<ReturnType<typeof c.sls.createPhone>>) =>
    `${x.id}  ${x.profile.os} ${x.profile.version}  network ${x.network ? 'on' : 'OFF'}  users ${x.app.users.map((u) => `${u.username}${u.active ? '' : ' (inactive)'}`).join(', ') || '-'}${x.app.recoverable.length ? `  recoverable ${x.app.recoverable.join(', ')}` : ''}`;
  switch (verb) {
    case 'phones': {
      const r = await c.sls.phones();
      print(io, p, r, () => (r.length ? r.map(phoneLine) : ['no phones']));
      return 0;
    }
    case 'phone': {
      const r = await c.sls.phone(id());
      print(io, p, r, () => [phoneLine(r), ...r.notifications.map((n) => `  notification ${n.id} for ${n.username}: approve the login`)]);
      return 0;
    }
    case 'add-phone': {
      const os = oneOf(p, 'os', ['ios', 'android'] as const);
      if (!os) throw new UsageError('"sls ibkey add-phone" needs --os ios or android');
      const version = int(p, 'version', 1, 99);
      if (version === undefined) throw new UsageError('"sls ibkey add-phone" needs --version N');
      const r = await c.sls.createPhone({
        id: id(),
        os,
        version,
        biometrics: oneOf(p, 'biometrics', ['face-id', 'touch-id', 'fingerprint', 'none'] as const),
        passcode: true,
        rooted: false,
      });
      print(io, p, r, () => [phoneLine(r)]);
      return 0;
    }
    case 'network': {
      if (!p.values.on === !p.values.off) throw new UsageError('give --on or --off');
      const r = await c.sls.network(id(), p.values.on === true);
      print(io, p, r, () => [phoneLine(r)]);
      return 0;
    }
    case 'activate': {
      const r = await c.sls.activate(id(), {
        username: required(p, 'user', 'sls ibkey activate'),
        password: password(p),
        number: required(p, 'number', 'sls ibkey activate'),
        mode: p.values.recover ? 'recover' : 'register',
      });
      print(io, p, r, () => [
        `activation ${r.request}: an SMS with the code went to ${r.number} (tokenbench sls sms shows it)`,
        `then: tokenbench sls ibkey confirm ${id()} --request ${r.request} --code CODE`,
      ]);
      return 0;
    }
    case 'confirm': {
      const r = await c.sls.confirm(id(), {
        request: required(p, 'request', 'sls ibkey confirm'),
        code: required(p, 'code', 'sls ibkey confirm'),
        pin: pin(),
        biometrics: p.values.biometrics === true,
      });
      print(io, p, r, () => [`IB Key active on ${r.phone.id} (activation ${r.activationId})`, ...r.warnings.map((w) => `warning: ${w}`)]);
      return 0;
    }
    case 'respond': {
      const r = await c.sls.respond(id(), {
        username: required(p, 'user', 'sls ibkey respond'),
        challenge: required(p, 'challenge', 'sls ibkey respond'),
        pin: pin(),
      });
      print(io, p, r, () => [r.response]);
      return 0;
    }
    case 'approve': {
      const biometric = oneOf(p, 'biometric', ['succeed', 'fail', 'cancel'] as const);
      const r = await c.sls.approvePush(id(), {
        notificationId: required(p, 'notification', 'sls ibkey approve'),
        ...(biometric ? { biometric } : { pin: pin() }),
      });
      print(io, p, r, () => [`${r.outcome}: ${r.message}`]);
      return r.outcome === 'approved' ? 0 : 1;
    }
    case 'reinstall':
    case 'decline-recovery': {
      const r = verb === 'reinstall' ? await c.sls.reinstall(id()) : await c.sls.declineRecovery(id());
      print(io, p, r, () => [phoneLine(r)]);
      return 0;
    }
  }
  throw new UsageError(
    verb === undefined || verb.startsWith('-')
      ? '"sls ibkey" needs a subcommand: phones, phone, add-phone, network, activate, confirm, respond, approve, reinstall or decline-recovery'
      : `unknown sls ibkey subcommand "${verb}"`,
  );
}
