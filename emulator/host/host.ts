/**
 * The emulator host: the fleet of tokens (fleet.ts) and what the control API does with each of
 * them: keys, display, power, battery, clock, unlock, the card's grid, the trace and the login
 * screen. Each operation works on an emulated token, or, where a board can do it, on an attached
 * board the same way.
 */
import { unlockKeyOf } from '../../firmware/device/nv.ts';
import { unlockCode } from '../../firmware/device/engine.ts';
import type { ScriptStep } from '../../firmware/device/script.ts';
import type { TokenDisplay } from '../../firmware/token/device-token.ts';
import { encodeCommand } from '../../protocol/apdu.ts';
import { CLA, INS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { encodeTlvs } from '../../protocol/tlv.ts';
import { Fleet } from './fleet.ts';
import { MODEL_KEYS, runKeyScript } from './key-script.ts';
import { checkAnswer, issueChallenge, type Answer } from './login.ts';
import type { TraceRecord } from './trace.ts';
import { HostError, type ClockOp } from './types.ts';

export type { Snapshot } from './fleet.ts';
export { HostError, type ClockOp, type CreateSpec, type HostOptions, type TokenSummary } from './types.ts';

export class Host extends Fleet {
  /** Runs a key script on a token in its own time: waits happen on its clock (real or virtual). */
  async keys(id: string, script: string): Promise<ScriptStep[]> {
    const b = this.boardOf(id);
    if (b) return this.boards.keys(b, script);
    const h = this.get(id);
    const steps = await runKeyScript(this.device(id), script, this.now, h.scriptSignal);
    h.saveMeta();
    h.schedule();
    return steps;
  }

  async powerOf(id: string, on: boolean): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    return b ? this.boards.power(b, on) : this.power(id, on);
  }

  async batteryOf(id: string, level: number): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    return b ? this.boards.battery(b, level) : this.battery(id, level);
  }

  async clockOf(id: string, op: ClockOp): Promise<{ id: string; clock: number; paused: boolean; rate: number }> {
    const b = this.boardOf(id);
    return b ? this.boards.clock(b, op) : this.clock(id, op)[0];
  }

  /** One key going down, coming up, or a short press, at the token's current time. */
  async key(id: string, key: string, action: 'down' | 'up' | 'press'): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    if (b) return this.boards.key(b, key, action);
    const d = this.device(id);
    if (!d.nv.model || !MODEL_KEYS[d.nv.model].includes(key as never))
      throw new HostError(400, `field "key": a ${d.nv.model} has no key "${key}"; keys are ${MODEL_KEYS[d.nv.model].join(' ')}`);
    const now = this.now();
    // The trace shows keys pressed through the API (the desktop's own) as the command they mean.
    const ins = INS[action === 'down' ? 'KEY_DOWN' : action === 'up' ? 'KEY_UP' : 'KEY_PRESS'];
    this.get(id).record('api', 'ui', {
      dir: 'request',
      channel: 0,
      bytes: encodeCommand({ cla: CLA, ins, data: encodeTlvs([{ tag: TAG.KEY, value: Uint8Array.of(KEY_CODE[key]) }]) }),
    });
    if (action === 'press') d.hold(key, 0, now);
    else d.input({ type: action, key }, now);
    this.get(id).schedule();
    return d.display();
  }

  /** What client services do for a locked token: the tries back to full (the PIN stays). */
  unlock(id: string): TokenDisplay {
    const d = this.device(id);
    d.resetTries(this.now());
    this.get(id).schedule();
    return d.display();
  }

  /**
   * What a help desk reads out to the holder of a locked device: the unlock code for the unlock
   * challenge on its display (docs/devices.md, Unlock). Only while one shows.
   */
  unlockCode(id: string): { challenge: string; code: string; triesLeft: number } {
    const d = this.device(id);
    d.tick(this.now());
    const s = d.snapshot().state;
    if (!['unlockShow', 'unlockEntry', 'unlockBad'].includes(s.mode) || !s.challenge) {
      throw new HostError(409, `token "${id}" shows no unlock challenge (it is ${s.mode}); a locked device shows one after OK`);
    }
    return { challenge: s.challenge, code: unlockCode(unlockKeyOf(d.nv), s.challenge), triesLeft: d.nv.tries };
  }

  /** The printed grid of a card (its values are what the holder reads off the paper). */
  cardValues(id: string): { serial: string; size: number; values: string[]; expiresAt: number | null } {
    const c = this.get(id).card;
    if (!c) throw new HostError(400, `token "${id}" is not a card`);
    const r = c.record;
    if (!r.secret) throw new HostError(409, `card "${id}" has no secret (factory reset)`);
    const values: string[] = [];
    for (let i = 1; i <= r.profile.size; i++) values.push(c.value(i));
    return { serial: r.serial, size: r.profile.size, values, expiresAt: r.expiresAt };
  }

  /** The display of a token or board. */
  async displayOf(id: string): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    return b ? this.boards.display(b) : this.display(id);
  }

  display(id: string): TokenDisplay {
    const d = this.device(id);
    d.tick(this.now());
    return d.display();
  }

  power(id: string, on: boolean): TokenDisplay {
    const d = this.device(id);
    this.get(id).record('api', 'ui', {
      dir: 'request',
      channel: 0,
      bytes: encodeCommand({ cla: CLA, ins: INS.SET_POWER, p1: on ? 1 : 0 }),
    });
    d.batteryIn = on;
    d.input({ type: 'power', on: on && d.battery > 0 }, this.now());
    this.get(id).saveMeta();
    return d.display();
  }

  battery(id: string, level: number): TokenDisplay {
    const d = this.device(id);
    d.battery = level;
    d.input({ type: 'power', on: d.batteryIn && level > 0 }, this.now());
    this.get(id).saveMeta();
    return d.display();
  }

  /**
   * Clock control for one token (device or card), or for every token when `id` is null.
   * `real` puts it back on real time: host time, rate 1, running.
   */
  clock(id: string | null, op: ClockOp): { id: string; clock: number; paused: boolean; rate: number }[] {
    const targets = id === null ? [...this.tokens.values()] : [this.get(id)];
    const now = this.now();
    return targets.map((h) => {
      const d = h.device;
      const c = h.clock;
      d?.tick(now);
      if (op.real) c.state = { deviceAt: now, hostAt: now, rate: 1, paused: false };
      if (op.set !== undefined) c.set(op.set, now);
      if (op.advance !== undefined) d ? d.advance(op.advance, now) : c.advance(op.advance, now);
      if (op.rate !== undefined) c.setRate(op.rate, now);
      if (op.pause === true) c.pause(now);
      if (op.pause === false) c.resume(now);
      d?.tick(now);
      h.saveMeta();
      h.schedule();
      return { id: h.id, clock: c.now(now), paused: c.state.paused, rate: c.state.rate };
    });
  }

  trace(id: string, since = 0): TraceRecord[] {
    const b = this.boardOf(id);
    return b ? b.trace.since(since) : this.get(id).trace.since(since);
  }

  /** The login screen's first step (see login.ts). */
  issueChallenge(id: string): ReturnType<typeof issueChallenge> {
    return issueChallenge(this.get(id), this.rng, this.now());
  }

  /** The login screen's check of what the user typed (see login.ts). */
  checkAnswer(id: string, answer: Answer): ReturnType<typeof checkAnswer> {
    return checkAnswer(this.get(id), answer, this.now());
  }
}
