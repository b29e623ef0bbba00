import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { cardValue } from '../../firmware/card/card.ts';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { fromHex } from '../../firmware/bytes.ts';

const K20 = '3132333435363738393031323334353637383930';
const K32 = '3132333435363738393031323334353637383930313233343536373839303132';
const K64 = Buffer.from('1234567890'.repeat(6) + '1234').toString('hex');

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 1_111_111_111_000 });
  return { code, out, err };
}

describe('tokenbench ocra|hotp|totp', () => {
  it('prints the response alone', async () => {
    expect(await run('ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', K20, '--question', '11111111')).toEqual({
      code: 0,
      out: ['243178'],
      err: [],
    });
    expect(
      (
        await run(
          'ocra',
          '--suite',
          'OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1',
          '--key',
          K32,
          '--question',
          '12345678',
          '--counter',
          '9',
          '--pin',
          '1234',
        )
      ).out,
    ).toEqual(['08522129']);
    expect(
      (
        await run(
          'ocra',
          '--suite',
          'OCRA-1:HOTP-SHA256-8:QN08-PSHA1',
          '--key',
          K32,
          '--question',
          '44444444',
          '--pin-hash',
          '7110eda4d09e062aa5e4a390b0a572ac0d2c0220',
        )
      ).out,
    ).toEqual(['86807031']);
    expect(
      (await run('ocra', '--suite', 'OCRA-1:HOTP-SHA512-8:QN08-T1M', '--key', K64, '--question', '22222222', '--timestamp', '0x132d0b6'))
        .out,
    ).toEqual(['22048402']);
    expect(
      (
        await run(
          'ocra',
          '--suite',
          'OCRA-1:HOTP-SHA512-8:QA10-T1M',
          '--key',
          K64,
          '--question',
          'SIG1400000',
          '--time',
          String(0x132d0b6 * 60),
        )
      ).out,
    ).toEqual(['65360607']);
    const s = await run('ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08-S004', '--key', K20, '--question', '1', '--session', 'a1b2');
    expect(s.out).toEqual([ocra('OCRA-1:HOTP-SHA1-6:QN08-S004', fromHex(K20), { question: '1', session: fromHex('a1b2') })]);
  });

  it('reproduces the RFC 6287 Appendix C mutual challenge-response vectors, both sides', async () => {
    const rows = [
      // [server suite, server key, server responses, client suite, client key, client responses, client extra]
      [
        'OCRA-1:HOTP-SHA256-8:QA08',
        K32,
        ['28247970', '01984843', '65387857', '03351211', '83412541'],
        'OCRA-1:HOTP-SHA256-8:QA08',
        K32,
        ['15510767', '90175646', '33777207', '95285278', '28934924'],
        [],
      ],
      [
        'OCRA-1:HOTP-SHA512-8:QA08',
        K64,
        ['79496648', '76831980', '12250499', '90856481', '12761449'],
        'OCRA-1:HOTP-SHA512-8:QA08-PSHA1',
        K64,
        ['18806276', '70020315', '01600026', '18951020', '32528969'],
        ['--pin', '1234'],
      ],
    ] as const;
    for (const [sSuite, sKey, sCodes, cSuite, cKey, cCodes, extra] of rows) {
      for (let i = 0; i < 5; i++) {
        const qs = ['--client-question', `CLI2222${i}`, '--server-question', `SRV1111${i}`];
        expect(await run('ocra', '--suite', sSuite, '--key', sKey, '--side', 'server', ...qs)).toEqual({
          code: 0,
          out: [sCodes[i]],
          err: [],
        });
        expect(await run('ocra', '--suite', cSuite, '--key', cKey, '--side', 'client', ...qs, ...extra)).toEqual({
          code: 0,
          out: [cCodes[i]],
          err: [],
        });
      }
    }
  });

  it('takes a suite as RFC 6287 writes it and reports it in canonical form', async () => {
    const q = ['--key', K20, '--question', 'ABCDEF12', '--session', '00'.repeat(64)];
    const given = await run('ocra', '--suite', 'OCRA-1:HOTP-SHA1-4:QH8-S512', ...q);
    expect(given.code).toBe(0);
    expect(given.out).toEqual((await run('ocra', '--suite', 'OCRA-1:HOTP-SHA1-4:QH08-S512', ...q)).out);
    expect((await run('ocra', '--suite', 'ocra-1:hotp-sha1-6:qn08', '--key', K20, '--question', '11111111')).out).toEqual(['243178']);
    expect(await run('ocra', '--suite', 'ocra-1:hotp-sha1-6:c-qn8', '--key', K20, '--question', '1')).toEqual({
      code: 2,
      out: [],
      err: ['tokenbench: suite OCRA-1:HOTP-SHA1-6:C-QN08 needs --counter (C)'],
    });
  });

  it('computes HOTP and TOTP', async () => {
    expect((await run('hotp', '--key', K20, '--counter', '9')).out).toEqual(['520489']);
    expect((await run('hotp', '--key', K32, '--counter', '3', '--digits', '8', '--algorithm', 'sha256')).out).toEqual([
      hotp(fromHex(K32), 3, { digits: 8, algorithm: 'sha256' }),
    ]);
    expect((await run('totp', '--key', K20, '--time', '59', '--digits', '8')).out).toEqual(['94287082']);
    expect((await run('totp', '--key', K64, '--time', '20000000000', '--digits', '8', '--algorithm', 'SHA512')).out).toEqual(['47863826']);
    expect((await run('totp', '--key', K20)).out).toEqual([totp(fromHex(K20), 1_111_111_111)]); // the clock
  });

  it.each([
    [['ocra', '--key', K20, '--question', '1'], '"ocra" needs --suite'],
    [['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', K20], 'suite OCRA-1:HOTP-SHA1-6:QN08 needs --question (the challenge)'],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', K20, '--question', '123456789'],
      'question has 9 digits, suite QN08 allows at most 8',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:C-QN08', '--key', K20, '--question', '1'],
      'suite OCRA-1:HOTP-SHA1-6:C-QN08 needs --counter (C)',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', K20, '--question', '1', '--counter', '1'],
      'suite OCRA-1:HOTP-SHA1-6:QN08 does not use --counter',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08-PSHA1', '--key', K20, '--question', '1', '--pin', '1', '--pin-hash', '00'],
      'give --pin or --pin-hash, not both',
    ],
    [['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', 'abc', '--question', '1'], '--key has an odd number of hex digits (3)'],
    [['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', 'zz', '--question', '1'], '--key must be hex digits, found "z"'],
    [
      ['ocra', '--suite', 'nope', '--key', K20, '--question', '1'],
      'suite "nope" must have three parts separated by ":" (algorithm:crypto function:data input)',
    ],
    [['hotp', '--key', K20], '"hotp" needs --counter'],
    [['hotp', '--key', K20, '--counter', 'x'], '--counter must be a whole number from 0 to 2^64-1, got "x"'],
    [['hotp', '--key', K20, '--counter', '1', '--digits', '5'], '--digits must be a whole number from 6 to 10, got "5"'],
    [['hotp', '--key', K20, '--counter', '1', '--algorithm', 'md5'], '--algorithm must be one of sha1, sha256, sha512, got "md5"'],
    [['hotp', '--key', K20, '--counter', '1', '--color'], 'unknown option --color for "hotp" (see tokenbench hotp --help)'],
    [['hotp', '--key'], '--key needs a value'],
    [['totp', '--key', K20, '--step', '0'], '--step must be a whole number from 1 to 86400, got "0"'],
    [['frobnicate'], 'unknown command "frobnicate"; run tokenbench --help for the list'],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', K20, '--question', '11111111', '--question', '22222222'],
      '--question is given more than once for "ocra"; give it once',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--suite=OCRA-1:HOTP-SHA1-8:QN08', '--key', K20, '--question', '1'],
      '--suite is given more than once for "ocra"; give it once',
    ],
    [['hotp', '--key', K20, '--counter', '1', '--counter', '2'], '--counter is given more than once for "hotp"; give it once'],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08-T0H', '--key', K20, '--question', '1'],
      'suite time step T0H is refused: a step of zero never advances, so no timestamp T can be counted (use 1 to 48H)',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA256-8:QA08', '--key', K32, '--side', 'both', '--client-question', 'A', '--server-question', 'B'],
      '--side must be one of server, client, got "both"',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA256-8:QA08', '--key', K32, '--side', 'server', '--client-question', 'A'],
      'mutual mode (--side) needs --server-question (the challenge the server sent)',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA256-8:QA08', '--key', K32, '--side', 'client', '--server-question', 'A'],
      'mutual mode (--side) needs --client-question (the challenge the client sent)',
    ],
    [
      [
        'ocra',
        '--suite',
        'OCRA-1:HOTP-SHA256-8:QA08',
        '--key',
        K32,
        '--side',
        'client',
        '--question',
        'A',
        '--client-question',
        'A',
        '--server-question',
        'B',
      ],
      'mutual mode (--side) takes --client-question and --server-question, not --question',
    ],
    [
      ['ocra', '--suite', 'OCRA-1:HOTP-SHA256-8:QA08', '--key', K32, '--client-question', 'A', '--server-question', 'B'],
      '--client-question is for mutual mode; give --side server or --side client too',
    ],
    [
      [
        'ocra',
        '--suite',
        'OCRA-1:HOTP-SHA256-8:QN08',
        '--key',
        K32,
        '--side',
        'server',
        '--client-question',
        'CLI',
        '--server-question',
        '1',
      ],
      'client challenge must be decimal digits for suite QN08, got "CLI"',
    ],
    [
      [
        'ocra',
        '--suite',
        'OCRA-1:HOTP-SHA256-8:QA04',
        '--key',
        K32,
        '--side',
        'server',
        '--client-question',
        'A',
        '--server-question',
        'SRV11110',
      ],
      'server challenge has 8 characters, suite QA04 allows at most 4',
    ],
  ])('%j fails with exit 2: %s', async (argv, message) => {
    expect(await run(...argv)).toEqual({ code: 2, out: [], err: [`tokenbench: ${message}`] });
  });
});

describe('tokenbench card', () => {
  const secret = '00112233445566778899';
  it('looks up values one a line, or joined', async () => {
    const a = cardValue(fromHex(secret), 'SC1', 7);
    const b = cardValue(fromHex(secret), 'SC1', 150);
    expect((await run('card', 'lookup', '--secret', secret, '--serial', 'SC1', '7', '150')).out).toEqual([a, b]);
    expect((await run('card', 'lookup', '--secret', secret, '--serial', 'SC1', '--join', '7', '150')).out).toEqual([a + b]);
  });

  it('shows the whole grid as text and as JSON', async () => {
    const text = await run('card', 'show', '--secret', secret, '--serial', 'SC1');
    expect(text.out[0]).toBe('Security Code Card SC1');
    expect(text.out).toHaveLength(1 + 25);
    expect(text.out[1]).toMatch(/^ {2}1 [A-Z0-9]{3} {5}2 [A-Z0-9]{3}/);
    const json = JSON.parse((await run('card', 'show', '--secret', secret, '--serial', 'SC1', '--format', 'json')).out.join('\n'));
    expect(Object.keys(json.values)).toHaveLength(200);
    expect(json.values['150']).toBe(cardValue(fromHex(secret), 'SC1', 150));
    const small = JSON.parse(
      (await run('card', 'show', '--secret', secret, '--size', '20', '--alphabet', 'XYZ', '--length', '4', '--format', 'json')).out.join(
        '\n',
      ),
    );
    expect(Object.values(small.values)).toHaveLength(20);
    for (const v of Object.values(small.values)) expect(v).toMatch(/^[XYZ]{4}$/);
  });

  it.each([
    [['card', 'lookup', '--secret', secret, '0'], 'index must be a whole number from 1 to 200, got "0"'],
    [['card', 'lookup', '--secret', secret, 'ten'], 'index must be a whole number from 1 to 200, got "ten"'],
    [['card', 'lookup', '--secret', secret], '"card lookup" needs at least one INDEX'],
    [['card', 'show', '--secret', secret, '--format', 'pdf'], '--format must be one of text, json, got "pdf"'],
    [['card', 'show'], '"card show" needs --secret'],
    [['card', 'flip'], 'unknown card subcommand "flip"; use show or lookup'],
  ])('%j fails with exit 2: %s', async (argv, message) => {
    expect(await run(...argv)).toEqual({ code: 2, out: [], err: [`tokenbench: ${message}`] });
  });
});

describe('tokenbench device run', () => {
  it('prints the display after every input', async () => {
    const r = await run('device', 'run', 'dscplus', '--secret', K20, '--keys', 'PRESS 1234 OK 123456 OK WAIT:30000', '--time', '0');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('PRESS       PIN>');
    expect(r.out[5]).toBe('OK          CHALLNG>');
    expect(r.out[12]).toBe(`OK          ${ocra('OCRA-1:HOTP-SHA1-8:QN06', fromHex(K20), { question: '123456' })}`);
    expect(r.out[13]).toBe('WAIT:30000  (blank)');
  });

  it('prints JSON with --json, and runs the DSC on the given clock', async () => {
    const r = await run('device', 'run', 'dsc', '--secret', K20, '--keys', 'PRESS:2000 1 2 3 4 OK', '--time', '57000', '--json');
    expect(JSON.parse(r.out[0])).toEqual([
      { input: 'PRESS:2000', display: '[____]' },
      { input: '1', display: '[1___]' },
      { input: '2', display: '[-2__]' },
      { input: '3', display: '[--3_]' },
      { input: '4', display: '[---4]' },
      { input: 'OK', display: '287082' }, // TOTP step 1 at 59 s
    ]);
  });

  it('takes the PIN, suite, HOTP settings and tries', async () => {
    const plus = await run(
      'device',
      'run',
      'dscplus',
      '--secret',
      K32,
      '--pin',
      '9999',
      '--suite',
      'OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1',
      '--counter',
      '9',
      '--keys',
      'PRESS 9999 OK 12345678 OK',
      '--json',
    );
    expect(JSON.parse(plus.out[0]).at(-1).display).toBe(
      ocra('OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1', fromHex(K32), { question: '12345678', counter: 9, pin: '9999' }),
    );
    const d = await run(
      'device',
      'run',
      'dsc',
      '--secret',
      K20,
      '--otp',
      'hotp',
      '--digits',
      '8',
      '--keys',
      'PRESS:2000 1234 OK',
      '--json',
    );
    expect(JSON.parse(d.out[0]).at(-1).display).toBe(hotp(fromHex(K20), 0, { digits: 8 }));
    const locked = await run('device', 'run', 'dsc', '--secret', K20, '--tries', '1', '--keys', 'PRESS:2000 0000 OK', '--json');
    expect(JSON.parse(locked.out[0]).at(-1).display).toBe('LOCKED');
  });

  it.each([
    [
      ['device', 'run', 'dscplus', '--secret', K20, '--keys', 'PRESS X'],
      'unknown key "X"; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK C, plus WAIT:MS and BATTERY:IN|OUT',
    ],
    [
      ['device', 'run', 'dsc', '--secret', K20, '--keys', 'C'],
      'unknown key "C"; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK, plus WAIT:MS and BATTERY:IN|OUT',
    ],
    [
      ['device', 'run', 'dscplus', '--secret', K20, '--keys', 'WAIT:soon'],
      '"WAIT:soon" needs a whole number of milliseconds from 0 to 604800000',
    ],
    [['device', 'run', 'dscplus', '--secret', K20, '--keys', ' '], 'key script is empty'],
    [['device', 'run', 'dscplus', '--secret', K20], '"device run" needs --keys'],
    [['device', 'run', 'dscplus', '--secret', K20, '--keys', 'PRESS', '--pin', '12'], 'pin must be exactly 4 digits'],
    [
      ['device', 'run', 'dscplus', '--secret', K20, '--keys', 'PRESS', '--suite', 'OCRA-1:HOTP-SHA1-8:QA08'],
      'a DSC+ keypad can only type numeric challenges (QN..), suite OCRA-1:HOTP-SHA1-8:QA08 asks for QA',
    ],
    [['device', 'run', 'dscplus', '--secret', K20, '--keys', 'PRESS', '--otp', 'hotp'], '--otp is for the DSC; a DSC+ takes --suite'],
    [['device', 'run', 'dsc', '--secret', '0011', '--keys', 'PRESS'], 'secret must be 10 to 128 bytes, got 2'],
    [['device', 'run', 'token9', '--secret', K20, '--keys', 'PRESS'], 'model must be dscplus or dsc, got "token9"'],
    [['device', 'run'], '"device run" needs a model: dscplus or dsc'],
    [['device', 'walk'], 'unknown device subcommand "walk"; use run'],
  ])('%j fails with exit 2: %s', async (argv, message) => {
    expect(await run(...argv)).toEqual({ code: 2, out: [], err: [`tokenbench: ${message}`] });
  });
});

describe('tokenbench serve', () => {
  it('refuses a data directory it cannot use, in one line', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'tb-')), 'a-file');
    writeFileSync(file, 'x');
    expect(await run('serve', '--data-dir', join(file, 'sub'), '--port', '0', '--usbip-port', '0', '--no-serial')).toEqual({
      code: 2,
      out: [],
      err: [`tokenbench: cannot use ${join(file, 'sub')} as the data directory: ENOTDIR`],
    });
  });
  it.each([
    [['serve', '--port', '99999'], '--port must be a whole number from 0 to 65535, got "99999"'],
    [['serve', '--bind', 'my laptop'], '--bind must be an IP address, got "my laptop"'],
    [['serve', '--usbip-port', 'x'], '--usbip-port must be a whole number from 0 to 65535, got "x"'],
  ])('%j fails with exit 2: %s', async (argv, message) => {
    expect(await run(...argv)).toEqual({ code: 2, out: [], err: [`tokenbench: ${message}`] });
  });
});

describe('the installed command', () => {
  const bin = join(import.meta.dirname, '../../emulator/cli/bin.mjs');
  it('runs through npx in the repository root', () => {
    const out = execFileSync('npx', ['--no-install', 'tokenbench', 'hotp', '--key', K20, '--counter', '0'], {
      cwd: join(import.meta.dirname, '../..'),
    }).toString();
    expect(out).toBe('755224\n');
  });

  it('exits 2 with one line on stderr and no stack trace on bad input', () => {
    const r = spawnSync(process.execPath, [bin, 'ocra', '--suite', 'OCRA-1:HOTP-SHA1-6:QN08', '--key', 'xyz']);
    expect(r.status).toBe(2);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr.toString()).toBe('tokenbench: --key has an odd number of hex digits (3)\n');
  });

  it('prints help with no arguments and for each command', () => {
    const r = spawnSync(process.execPath, [bin]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toMatch(/^tokenbench: a hardware token lab/);
    expect(r.stdout.toString()).toMatch(/ocra +compute an OCRA response/);
    expect(spawnSync(process.execPath, [bin, 'device', '--help']).stdout.toString()).toMatch(/tokenbench device run dscplus\|dsc/);
  });
});
