/**
 * A throwaway lab for tests: `tokenbench serve` in this process on a temporary data directory and
 * free ports (the control API and UI, each token's TCP port; no serial ports, no USB/IP), with
 * helpers that read like what a tester does to a device. Framework-free; tokenbench/playwright
 * wraps it in a Playwright fixture (docs/qa.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenbenchClient, type CreateSpec, type TokenDisplay, type TokenSummary } from '../api/client.ts';
import { packageRoot } from '../package-root.ts';
import { startServer, type Running } from '../serve.ts';
import { parseDuration } from './duration.ts';

export interface LabOptions {
  /** Tokens to create (default: the default lab, dscplus-1, dsc-1 and card-1, PIN 1234). */
  tokens?: CreateSpec[];
  /** Keep the data directory after close (it is printed by close()). Default false. */
  keep?: boolean;
}

type Challenge = string | { challenge: string | null; indexes?: [number, number] };

/** One token of the lab, as a tester handles it. */
export class LabToken {
  constructor(
    private readonly lab: Lab,
    readonly id: string,
  ) {}

  /** Runs a key script ("PRESS 1234 OK", "PRESS:2000", "WAIT:500"); returns the display after it. */
  async press(script: string): Promise<TokenDisplay> {
    return (await this.lab.client.keys(this.id, script)).display;
  }

  /** The text on the display now. */
  async display(): Promise<string> {
    return (await this.lab.client.display(this.id)).text;
  }

  async summary(): Promise<TokenSummary> {
    return this.lab.client.get(this.id);
  }

  /** Battery out and in (RAM lost, the stored record kept). */
  async powerCycle(): Promise<TokenDisplay> {
    await this.lab.client.power(this.id, false);
    return this.lab.client.power(this.id, true);
  }

  toString(): string {
    return `token ${this.id}`;
  }
}

export class Lab {
  readonly client: TokenbenchClient;
  /** The token's clock (or every token's, without an id). */
  readonly clock = {
    advance: (d: string | number, id?: string) => this.moveClock({ advance: parseDuration(d) }, id),
    pause: (id?: string) => this.moveClock({ pause: true }, id),
    resume: (id?: string) => this.moveClock({ pause: false }, id),
    set: (unixMs: number, id?: string) => this.moveClock({ set: unixMs }, id),
    real: (id?: string) => this.moveClock({ real: true }, id),
  };

  constructor(
    private readonly running: Running,
    readonly dataDir: string,
    private readonly keep: boolean,
  ) {
    this.client = TokenbenchClient.fromUrl(running.api.url);
  }

  /** The control URL with its access token: open it in a page to get the desktop UI. */
  get url(): string {
    return this.running.api.url;
  }

  token(id: string): LabToken {
    return new LabToken(this, id);
  }

  /**
   * What the holder of the token would type into a login page: a DSC+ is turned on afresh, given
   * the PIN and the challenge, and its response read; a DSC is turned on (Press held 2 s) and its
   * passcode read; a card gives the values at the two index numbers.
   */
  async respond(id: string, challenge?: Challenge, options: { pin?: string } = {}): Promise<string> {
    const t = await this.client.get(id);
    const pin = options.pin ?? '1234';
    if (t.kind === 'card' || t.kind === 'online-card') {
      const indexes = typeof challenge === 'object' ? challenge.indexes : undefined;
      if (!indexes) throw new Error(`${id} is a card: pass the challenge object with its two index numbers`);
      const card = await this.client.card(id);
      return indexes.map((i) => card.values[i - 1]).join('');
    }
    await this.token(id).powerCycle();
    let text: string;
    if (t.kind === 'dsc' || t.board?.model === 'dsc') {
      text = (await this.client.keys(id, `PRESS:2000 ${pin} OK`)).display.text;
    } else {
      const c = typeof challenge === 'object' ? challenge.challenge : challenge;
      if (!c || !/^\d+$/.test(c)) throw new Error(`${id} is a DSC+: it needs the digits of a challenge, got ${JSON.stringify(c ?? null)}`);
      text = (await this.client.keys(id, `PRESS ${pin} OK ${c} OK`)).display.text;
    }
    if (!/^\d{4,10}$/.test(text)) throw new Error(`${id} shows "${text}" instead of a code (wrong PIN, or locked?)`);
    return text;
  }

  private async moveClock(op: { advance?: number; pause?: boolean; set?: number; real?: true }, id?: string): Promise<void> {
    if (id) await this.client.clock(id, op);
    else await this.client.hostClock(op);
  }

  /** Stops the server and removes the data directory (unless kept). */
  async close(): Promise<void> {
    await this.running.stop();
    if (!this.keep) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tokenbench-lab-'));
  let running: Running;
  try {
    running = await startServer({
      dataDir,
      bind: '127.0.0.1',
      port: 0,
      usbipPort: null,
      serial: false,
      uiDir: join(packageRoot(), 'dist/renderer/'),
      log: () => {},
      warn: () => {},
      defaultLab: options.tokens === undefined,
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const lab = new Lab(running, dataDir, options.keep ?? false);
  for (const spec of options.tokens ?? []) await lab.client.create(spec);
  return lab;
}
