/**
 * Provisioning one token or board over the protocol: authenticate where a key is given, factory
 * reset a sealed one (only with its key), write secret, algorithm, serial and PIN, check one
 * TEST_COMPUTE (TEST_CARD_LOOKUP for a card) against the golden model holding the same settings,
 * store the board key and seal if asked. The result says what was done, never the secret.
 */
import { TokenClient, StatusError } from '../../protocol/client.ts';
import { cardValue, DEFAULT_CARD } from '../../firmware/card/card.ts';
import {
  DEFAULT_DSC_OTP,
  DEFAULT_DSCPLUS_SUITE,
  DEFAULT_PIN,
  otpText,
  parseOtpText,
  provision as goldenNv,
  type ModelId,
} from '../../firmware/device/nv.ts';
import { modelSpec } from '../../firmware/device/models.ts';
import { authenticate, authState, ProvisionError, putAuthKey } from './auth.ts';
import { openTarget } from './target.ts';

export type ProvisionModel = ModelId | 'card';
export const PROVISION_MODELS: readonly ProvisionModel[] = ['dscplus', 'dsc', 'card'];

export interface ProvisionRequest {
  target: string;
  model: ProvisionModel;
  secret: Uint8Array;
  serial?: string;
  pin?: string;
  /** DSC+: an OCRA suite; DSC: TOTP-SHA1-6-30 style. Default: the model's. */
  suite?: string;
  seal?: boolean;
  /** The key to AUTHENTICATE with (board key, or the host's lab key for hosted tokens). */
  authKey?: Uint8Array;
  /** The board key to store before sealing (PUT_AUTH_KEY). */
  boardKey?: Uint8Array;
  timeoutMs?: number;
}

export interface ProvisionReport {
  target: string;
  model: ProvisionModel;
  serial: string;
  suite: string | null;
  firmware: string;
  authenticated: 'yes' | 'not needed' | 'not supported by the device';
  wasSealed: boolean;
  check: { challenge: string; response: string };
  boardKeyStored: boolean;
  sealed: boolean;
  /** Secret length in bytes (the secret itself is never in a report). */
  secretBytes: number;
  steps: string[];
}

/** The check the golden model expects: a challenge in the suite's format and the model's answer. */
function goldenCheck(
  req: ProvisionRequest,
  suite: string | null,
  serial: string,
  counter: number,
  clock: number,
): { challenge: string; expected: string } {
  if (req.model === 'card') return { challenge: '1', expected: cardValue(req.secret, serial, 1, DEFAULT_CARD) };
  const nv = goldenNv({
    model: req.model,
    secret: req.secret,
    serial,
    pin: req.pin ?? DEFAULT_PIN,
    counter,
    ...(req.model === 'dscplus' ? { suite: suite ?? DEFAULT_DSCPLUS_SUITE } : { otp: suite ? parseOtpText(suite) : undefined }),
  });
  // A DSC+ challenge as long as the suite's QNnn asks (the keypad types digits only).
  const qn = Number(/:QN(\d\d)/.exec(suite ?? DEFAULT_DSCPLUS_SUITE)?.[1] ?? 6);
  const challenge = req.model === 'dscplus' ? '31415926'.slice(0, Math.min(8, qn)) : '';
  return { challenge, expected: modelSpec(req.model).compute(nv, challenge, req.pin ?? DEFAULT_PIN, clock).code };
}

export async function provisionOne(req: ProvisionRequest): Promise<ProvisionReport> {
  const { link, hosted } = await openTarget(req.target, req.timeoutMs);
  const client = new TokenClient(link);
  const steps: string[] = [];
  try {
    const info = await client.info();
    const model = info.model === 'online-card' ? 'card' : info.model;
    if (model !== req.model) throw new ProvisionError(`${req.target} is a ${info.model || 'device of unknown model'}, not a ${req.model}`);
    // GET_STATE and AUTHENTICATE's state query answer without a privileged session.
    const before = await client.state();
    const keyName = hosted ? 'lab key (--lab-key FILE, default <data-dir>/lab.key)' : 'board key (--board-key FILE)';
    let authenticated: ProvisionReport['authenticated'] = 'not needed';
    const auth = await authState(client);
    if (before.sealed && !req.authKey) throw new ProvisionError(`${req.target} is sealed: provisioning it again needs its ${keyName}`);
    if (auth === 'unsupported') {
      authenticated = 'not supported by the device';
      if (req.authKey) steps.push('the device has no AUTHENTICATE; continuing without');
    } else if (auth.required && !auth.privileged) {
      if (!req.authKey) throw new ProvisionError(`${req.target} takes provisioning only after AUTHENTICATE: give its ${keyName}`);
      await authenticate(client, req.authKey);
      authenticated = 'yes';
      steps.push(`authenticated with the ${hosted ? 'lab' : 'board'} key`);
    }
    if (before.sealed) {
      await client.factoryReset();
      steps.push('factory reset (it was sealed)');
    }
    await client.putSecret(req.secret);
    steps.push(`secret written (${req.secret.length} bytes)`);
    let suite: string | null = null;
    if (req.model !== 'card') {
      suite = req.suite ?? (req.model === 'dscplus' ? DEFAULT_DSCPLUS_SUITE : otpText(DEFAULT_DSC_OTP));
      await client.putSuite(suite);
      steps.push(`${req.model === 'dscplus' ? 'suite' : 'passcode setting'} ${suite}`);
    }
    if (req.serial !== undefined) {
      await client.putSerial(req.serial);
      steps.push(`serial ${req.serial}`);
    }
    if (req.model !== 'card') {
      await client.putPin(req.pin ?? DEFAULT_PIN);
      steps.push(req.pin ? 'PIN set' : `PIN set to the default ${DEFAULT_PIN}`);
    }
    const after = await client.info();
    const serial = after.serial;
    const st = await client.state();
    const golden = goldenCheck(req, suite, serial, st.counter, st.clock);
    const got = req.model === 'card' ? await client.cardLookup(1) : await client.testCompute(golden.challenge, req.pin ?? DEFAULT_PIN);
    if (got !== golden.expected) {
      throw new ProvisionError(
        `check failed: TEST_COMPUTE${golden.challenge ? ` ${golden.challenge}` : ''} answered ${got}, the golden model with the same settings gives ${golden.expected}; the token is provisioned but does not compute what the verifier will`,
      );
    }
    steps.push(
      `checked: ${req.model === 'card' ? 'card value 1' : `TEST_COMPUTE${golden.challenge ? ` ${golden.challenge}` : ''}`} = ${got}, as the golden model`,
    );
    let boardKeyStored = false;
    if (req.seal) {
      if (req.boardKey) {
        boardKeyStored = await putAuthKey(client, req.boardKey);
        if (boardKeyStored) steps.push('board key stored');
        else if (hosted) steps.push("the token has no PUT_AUTH_KEY: the host's lab key guards it");
        else if (!hosted)
          throw new ProvisionError(
            'the board cannot store a board key (no PUT_AUTH_KEY); not sealing it, or it could never be provisioned again',
          );
      } else if (!hosted)
        throw new ProvisionError(
          'sealing a board needs a board key to store first (--board-key FILE), or it could never be provisioned again',
        );
      await client.seal();
      steps.push('sealed');
    }
    return {
      target: req.target,
      model: req.model,
      serial,
      suite,
      firmware: after.firmwareVersion,
      authenticated,
      wasSealed: before.sealed,
      check: { challenge: golden.challenge, response: got },
      boardKeyStored,
      sealed: !!req.seal,
      secretBytes: req.secret.length,
      steps,
    };
  } catch (err) {
    if (err instanceof StatusError) throw new ProvisionError(err.message);
    throw err;
  } finally {
    link.close();
  }
}
