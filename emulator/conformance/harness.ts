/**
 * What a case works with: the target's connection (connection.ts: recorded frame by frame into the
 * case's transcript), a typed client on it, raw access to the framing, the device's profile from
 * GET_INFO, and `setup()`, which brings the device and an in-process golden model into the same
 * known state over the protocol (device-setup.ts) so that a case can compare the two.
 */
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { uint } from '../../protocol/bytes.ts';
import { StatusError, TokenClient, type Display, type TokenInfo } from '../../protocol/client.ts';
import { CLA, INS, SW, TAG, type InsName } from '../../protocol/codes.ts';
import { HidAssembler, type HidMessage } from '../../protocol/hid-framing.ts';
import type { Message } from '../../protocol/message.ts';
import { StreamAssembler } from '../../protocol/stream-framing.ts';
import { decodeTlvs, encodeTlvs, find, type Tlv } from '../../protocol/tlv.ts';
import { expectEq, fail, Failure, Skip } from './case.ts';
import { LINK_CHANNEL, openConn, type Conn, type TranscriptEntry } from './connection.ts';
import { prepareDevice, T0, type SetupOptions } from './device-setup.ts';
import { modelTarget } from './model-target.ts';
import { lateLimit, marginFor, marginText, measureRtt, type RealTime, type Window } from './real-time.ts';
import type { Framing, Target } from './target.ts';

export interface Profile {
  model: string;
  info: TokenInfo;
  /** AUTH_STATE of the suite's own session: does the device require AUTHENTICATE, and did the suite authenticate? */
  auth: { required: boolean; privileged: boolean };
  /** The card's GET_INFO extras. */
  card?: { size: number; alphabet: string; length: number };
}

export interface HarnessOptions {
  /** Let cases wait on the real clock where the device clock cannot be held (default true; --no-slow). */
  slow?: boolean;
}

export class Harness {
  /** The in-process golden model, after setup(). */
  golden: TokenClient | null = null;
  private goldenTarget: Target | null = null;
  private extra: Conn[] = [];
  notes: TranscriptEntry[] = [];
  /** Set by setup(): the device clock cannot be held, so timing cases wait on the real clock. */
  realTime: RealTime | null = null;
  /** How this case's real-time checks were made (one line each); the runner marks the case slow. */
  slowNotes: string[] = [];
  /** When the last key command to the device was sent and answered (host clock). */
  private lastKey: Window = { sent: 0, received: 0 };

  constructor(
    readonly target: Target,
    readonly conn: Conn,
    readonly profile: Profile,
    readonly timeoutMs: number,
    readonly seed: number,
    /** The key AUTHENTICATE uses (the host's lab key, or a sealed board's key). */
    readonly labKey?: Uint8Array,
    readonly options: HarnessOptions = {},
  ) {
    // Every timeout starts at a key: remember when the last one went out and came back.
    const client = conn.client;
    const command = client.command.bind(client);
    client.command = async (...args: Parameters<TokenClient['command']>) => {
      const sent = this.target.now();
      const r = await command(...args);
      if (args[0].startsWith('KEY_')) this.lastKey = { sent, received: this.target.now() };
      return r;
    };
  }

  private nextChannel = 1;
  private readonly channels = new WeakMap<TokenClient, number>();

  /** A new, unprivileged session: another channel of this connection (stream), or a second connection (HID). */
  async session(): Promise<TokenClient> {
    if (this.framing === 'stream') {
      const channel = this.nextChannel++;
      const c = new TokenClient(this.conn.link, { channel, timeoutMs: this.timeoutMs });
      this.channels.set(c, channel);
      return c;
    }
    return (await this.second()).client;
  }

  /** Makes `client`'s session privileged with `key` (default: the lab key), if the device requires it. */
  async privileged(client: TokenClient = this.client, key = this.labKey): Promise<void> {
    const st = await client.authState();
    if (!st.required || st.privileged) return;
    if (!key) throw new Skip('needs a privileged session: give the key with --lab-key FILE');
    await client.authenticate(key);
  }

  get client(): TokenClient {
    return this.conn.client;
  }

  get framing(): Framing {
    return this.target.framing;
  }

  note(text: string): void {
    this.conn.rec.log.push({ at: Date.now() - this.conn.rec.start, dir: 'note', text });
  }

  /** Starts a new transcript (one per case); returns the previous one. */
  takeTranscript(): TranscriptEntry[] {
    const log = this.conn.rec.log;
    for (const c of this.extra) log.push(...c.rec.log.map((e) => ({ ...e, text: `[2nd connection] ${e.text}` })));
    this.conn.rec.log = [];
    this.conn.rec.start = Date.now();
    return log;
  }

  /** A second connection at once (a separate session); closed after the case. */
  async second(): Promise<Conn> {
    if (!this.target.multiConnection) throw new Skip('needs a second connection at the same time; this target allows one');
    const c = await openConn(this.target, this.timeoutMs);
    this.extra.push(c);
    return c;
  }

  /** The wait for an exchange that sends `bytes` bytes: the timeout, plus their time on a slow link (Target.bytesPerSecond). */
  waitFor(bytes: number): number {
    const rate = this.target.bytesPerSecond;
    return this.timeoutMs + (rate ? Math.ceil((bytes * 1000) / rate) : 0);
  }

  /** Sends raw command APDU bytes; answers the status word and TLVs (never throws on a status). */
  async apdu(bytes: Uint8Array, client = this.client): Promise<{ sw: number; items: Tlv[]; raw: Uint8Array }> {
    // The frame around the APDU: header, CRC, COBS (one byte in 254) and the delimiter.
    const framed = bytes.length + 8 + Math.ceil(bytes.length / 254);
    const raw = await client.link.request(bytes, { channel: this.channels.get(client) ?? LINK_CHANNEL, timeoutMs: this.waitFor(framed) });
    const r = decodeResponse(raw);
    if (!r.ok) throw new Failure(`response APDU is malformed: ${r.error}`);
    const t = decodeTlvs(r.value.data);
    return { sw: r.value.sw, items: t.ok ? t.items : [], raw };
  }

  /** A command by name with fields and P1/P2, answered as status and fields. */
  async cmd(
    name: InsName,
    fields: [number, Uint8Array][] = [],
    p1 = 0,
    p2 = 0,
    client = this.client,
  ): Promise<{ sw: number; items: Tlv[]; raw: Uint8Array }> {
    return this.apdu(
      encodeCommand({ cla: CLA, ins: INS[name], p1, p2, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) }),
      client,
    );
  }

  /** Expects status `sw` from the command; returns its fields. */
  async expectSw(name: InsName, fields: [number, Uint8Array][], sw: number, p1 = 0, p2 = 0): Promise<Tlv[]> {
    const r = await this.cmd(name, fields, p1, p2);
    if (r.sw !== sw) {
      const detail = find(r.items, TAG.DETAIL);
      throw new Failure(
        `${name}: expected SW ${sw.toString(16).toUpperCase()}, got ${r.sw.toString(16).toUpperCase()}${detail ? ` (${new TextDecoder().decode(detail)})` : ''}`,
      );
    }
    return r.items;
  }

  /** Whether the device has a battery level to set: boards answer SET_BATTERY 6A81 (P-1.1). */
  async hasBattery(): Promise<boolean> {
    const level = await this.client.battery();
    try {
      await this.client.setBattery(level);
      return true;
    } catch (err) {
      if (err instanceof StatusError && err.sw === SW.NOT_SUPPORTED) return false;
      throw err;
    }
  }

  /** Skips the case (with the reason) on a device without a battery to set. */
  async needBattery(): Promise<void> {
    if (!(await this.hasBattery())) throw new Skip('the device has no battery to set (SET_BATTERY answers 6A81, as boards do)');
  }

  /** Brings the device and the golden model into the same known state; the device ends off. */
  async setup(o: SetupOptions = {}): Promise<TokenClient> {
    const model = this.profile.model;
    if (model !== 'dscplus' && model !== 'dsc') throw new Skip(`setup of a ${model} is not a device setup`);
    if (!this.goldenTarget) this.goldenTarget = modelTarget(model);
    else await this.golden?.link.close();
    const g = await openConn(this.goldenTarget, this.timeoutMs);
    this.golden = g.client;
    this.realTime = null;
    let real: string | null = null;
    for (const c of [this.client, g.client]) {
      const r = await prepareDevice(c, model, o, c === this.client ? this.profile : null);
      if (c === this.client) real = r;
    }
    this.golden = g.client;
    if (real) {
      const readable = this.profile.info.planes.includes('clock');
      this.realTime = { reason: real, rttMs: await measureRtt(() => this.client.readDisplay(), this.target.now), readable };
      await this.syncGolden();
    }
    return g.client;
  }

  /** Real time with a readable device clock: the golden model's held clock jumps to the device's (never back). */
  private async syncGolden(): Promise<void> {
    if (!this.realTime?.readable || !this.golden) return;
    const device = await this.client.clock();
    if (device > (await this.golden.clock())) await this.golden.command('SET_CLOCK', [[TAG.CLOCK, uint(device)]], 1);
  }

  /** False when the device clock runs in real time and cannot be read (no clock plane): time-based codes cannot be compared. */
  get deviceTimeKnown(): boolean {
    return !this.realTime || this.realTime.readable;
  }

  /** After FACTORY_RESET: holds the device clock again at T0 (nothing to do in real time). */
  async holdClock(): Promise<void> {
    if (!this.realTime) await this.client.command('SET_CLOCK', [[TAG.CLOCK, uint(T0)]], 1);
  }

  /** Real time only: the margin for `ms`, noted for the case's report; skips the case under --no-slow. */
  private realMargin(ms: number): number {
    const rt = this.realTime!;
    if (this.options.slow === false)
      throw new Skip(`${rt.reason}; the case would wait ${ms} ms in real time, and --no-slow skips such cases`);
    const text = marginText(ms, rt);
    if (!this.slowNotes.includes(text)) this.slowNotes.push(text);
    return marginFor(ms, rt.rttMs);
  }

  private async waitUntil(t: number): Promise<void> {
    const d = t - this.target.now();
    if (d > 0) await this.pass(d);
  }

  /**
   * Lets `ms` pass: on a held clock ADVANCE_CLOCK moves it (the golden model's always); in real time
   * the suite waits until `ms` plus the margin after the last key. Answers the display.
   */
  async after(ms: number, cl: TokenClient = this.client): Promise<Display> {
    if (cl !== this.client || !this.realTime) {
      const { clock, ...d } = await cl.advanceClock(ms);
      void clock;
      return d;
    }
    const m = this.realMargin(ms);
    await this.waitUntil(this.lastKey.received + ms + m);
    return this.client.readDisplay();
  }

  /**
   * A timeout of `ms` started by the last key: the display shows `before` until it and `after` from
   * it. Held clock: checked at ms - 1 and at ms exactly. Real time: checked at ms - margin and at
   * ms + margin (real-time.ts).
   */
  async threshold(ms: number, before: string, after: string, what: string): Promise<void> {
    if (!this.realTime) {
      expectEq((await this.client.advanceClock(ms - 1)).text, before, `${what} at ${ms - 1} ms`);
      expectEq((await this.client.advanceClock(1)).text, after, `${what} at ${ms} ms`);
      return;
    }
    const m = this.realMargin(ms);
    const key = this.lastKey;
    // "Still" is read at half the threshold, at 90 % and at threshold - margin: a timeout well short
    // is caught by an early read even when a later one comes back too late to judge.
    for (const at of [Math.floor(ms / 2), Math.floor(ms * 0.9), ms - m - this.realTime.rttMs]) {
      if (at <= this.target.now() - key.sent) continue;
      await this.waitUntil(key.sent + at);
      const early = (await this.client.readDisplay()).text;
      const back = this.target.now() - key.sent;
      if (early === before) continue;
      if (back >= lateLimit(ms))
        throw new Skip(
          `real time: the read that should show ${JSON.stringify(before)} came back ${back} ms after the key, too late to judge a ${ms} ms timeout (the link stalled); ${marginText(ms, this.realTime)}`,
        );
      fail(
        `${what} ${back} ms after the key (real time, margin ${m} ms): expected ${JSON.stringify(before)} until ${ms - m} ms, got ${JSON.stringify(early)}`,
      );
    }
    await this.waitUntil(key.received + ms + m);
    expectEq((await this.client.readDisplay()).text, after, `${what} ${ms + m} ms after the key (real time, margin ${m} ms)`);
  }

  /** Runs the same step on the device and the golden model; fails when the answers differ. */
  async both<T>(what: string, fn: (c: TokenClient) => Promise<T>): Promise<T> {
    if (!this.golden) throw new Error('both() before setup()');
    await this.syncGolden();
    const [a, b] = [await settle(fn(this.client)), await settle(fn(this.golden))];
    const sa = JSON.stringify(a);
    const sb = JSON.stringify(b);
    if (sa !== sb) throw new Failure(`${what}: device answered ${sa}, the golden model ${sb}`);
    if ('error' in a) throw new Failure(`${what}: ${a.error}`);
    return a.value as T;
  }

  /** Waits for raw frames or reports on the shared connection that satisfy `done`. */
  async rawExchange<T>(
    send: Uint8Array[],
    parse: (chunks: Uint8Array[]) => T,
    done: (v: T) => boolean,
    waitMs = this.waitFor(send.reduce((n, s) => n + s.length, 0)),
  ): Promise<T> {
    const chunks: Uint8Array[] = [];
    let wake: () => void = () => {};
    const l = (b: Uint8Array) => {
      chunks.push(b);
      wake();
    };
    this.conn.rec.raw.add(l);
    try {
      for (const s of send) this.conn.rec.sendRaw(s);
      const until = Date.now() + waitMs;
      for (;;) {
        const v = parse(chunks);
        if (done(v) || Date.now() >= until) return v;
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.min(20, Math.max(1, until - Date.now())));
        });
      }
    } finally {
      this.conn.rec.raw.delete(l);
    }
  }

  /** Stream framing: sends raw bytes, returns the frames that came back (until `done` or the wait ends). */
  streamExchange(send: Uint8Array[], done: (m: Message[]) => boolean, waitMs?: number): Promise<Message[]> {
    return this.rawExchange(
      send,
      (chunks) => {
        const a = new StreamAssembler();
        const out: Message[] = [];
        for (const c of chunks) out.push(...a.push(c, 0).messages);
        return out;
      },
      done,
      waitMs,
    );
  }

  /** HID framing: sends raw reports, returns the messages that came back. */
  hidExchange(send: Uint8Array[], done: (m: HidMessage[]) => boolean, waitMs?: number): Promise<HidMessage[]> {
    return this.rawExchange(
      send,
      (chunks) => {
        const a = new HidAssembler({ exclusive: false });
        const out: HidMessage[] = [];
        for (const c of chunks) {
          // The host-side assembler refuses CID 0; a device's answer on CID 0 is read as it is.
          if (c.length >= 7 && c[0] === 0 && c[1] === 0 && c[2] === 0 && c[3] === 0 && c[4] & 0x80)
            out.push({ cid: 0, cmd: c[4], payload: c.slice(7, 7 + Math.min(57, (c[5] << 8) | c[6])) });
          else out.push(...a.push(c, 0).messages);
        }
        return out;
      },
      done,
      waitMs,
    );
  }

  /** Lets `ms` of host time pass: skipped at once on in-process targets, waited on real ones. */
  async pass(ms: number): Promise<void> {
    if (this.target.skipTime) {
      await new Promise((r) => setTimeout(r, 1)); // bytes on their way land before time moves
      this.target.skipTime(ms);
    } else await new Promise((r) => setTimeout(r, ms));
  }

  /** Collects display events on `client` while `fn` runs (after SUBSCRIBE on). */
  async events(fn: () => Promise<void>, client = this.client, settleMs = 50): Promise<Display[]> {
    const seen: Display[] = [];
    const stop = client.onDisplay((d) => seen.push(d));
    try {
      await fn();
      await client.readDisplay().catch(() => undefined); // events before this answer have arrived
      await new Promise((r) => setTimeout(r, this.target.skipTime ? 0 : settleMs));
    } finally {
      stop();
    }
    return seen;
  }

  async close(): Promise<void> {
    for (const c of this.extra) c.link.close();
    this.extra = [];
  }

  async dispose(): Promise<void> {
    await this.close();
    this.golden?.link.close();
    await this.goldenTarget?.close();
  }
}

async function settle<T>(p: Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await p };
  } catch (err) {
    return { error: err instanceof StatusError ? `SW ${err.sw.toString(16).toUpperCase()}` : (err as Error).message };
  }
}
