/** `tokenbench device run`: a key script on a fresh emulated device with a virtual clock. */
import { fromHex } from '../../../firmware/bytes.ts';
import { HASH_NAMES } from '../../../firmware/crypto/mac.ts';
import { provision, MODEL_IDS, type ModelId, type OtpProfile } from '../../../firmware/device/nv.ts';
import { Device } from '../../../firmware/device/runner.ts';
import { parseScript, runScript, type ScriptStep } from '../../../firmware/device/script.ts';
import { modelSpec } from '../../../firmware/device/models.ts';
import { seededRng, systemRng } from '../../../firmware/rng.ts';
import { DeviceToken } from '../../../firmware/token/device-token.ts';
import { serveToken } from '../../../firmware/token/serve.ts';
import { runScriptOverClient } from '../../../firmware/token/script-client.ts';
import { TokenClient } from '../../../protocol/client.ts';
import { Link } from '../../../protocol/link.ts';
import { hidHostPort, streamPort } from '../../../protocol/port.ts';
import { memoryPair } from '../../../protocol/transport.ts';
import { nodeScheduler } from '../../scheduler.ts';
import { MemoryStorage } from '../../../firmware/storage.ts';
import { int, oneOf, parse, required, str, UsageError } from '../args.ts';
import type { Command } from './command.ts';

export const deviceCommand: Command = {
  name: 'device',
  summary: 'run a key script on an emulated DSC+ or DSC and print the display after each input',
  usage: `tokenbench device run dscplus|dsc --secret HEX --keys SCRIPT [--pin 1234] [--suite S] [--time UNIX_MS] [--json]
    [--serial S] [--counter N] [--tries N] [--unlock-key HEX] [--seed N]
    [--via model|stream|hid]
    DSC only: [--otp totp|hotp] [--digits D] [--step S] [--algorithm sha1|sha256|sha512]
  SCRIPT tokens, separated by spaces: KEY (short press), KEY:MS (hold MS ms), WAIT:MS,
  a run of digits (one press each), BATTERY:OUT / BATTERY:IN.
  DSC+ keys: PRESS 0-9 OK C.  DSC keys: PRESS 0-9 OK (hold PRESS:2000 to turn it on).
  The clock starts at --time (default now) and moves only with holds and WAITs.
  --via stream|hid drives the same device over the wire protocol (in memory) instead of calling
  the model directly; the output is the same.
  Example: tokenbench device run dscplus --secret 3132333435363738393031323334353637383930 --keys "PRESS 1234 OK 123456 OK"`,
  async run(args, io) {
    const [sub, model, ...rest] = args;
    if (sub !== 'run')
      throw new UsageError(sub === undefined ? '"device" needs a subcommand: run' : `unknown device subcommand "${sub}"; use run`);
    if (model === undefined || model.startsWith('-')) throw new UsageError('"device run" needs a model: dscplus or dsc');
    if (!MODEL_IDS.includes(model as ModelId)) throw new UsageError(`model must be dscplus or dsc, got "${model}"`);
    const p = parse('device run', rest, {
      secret: { type: 'string' },
      keys: { type: 'string' },
      pin: { type: 'string' },
      suite: { type: 'string' },
      time: { type: 'string' },
      json: { type: 'boolean' },
      serial: { type: 'string' },
      counter: { type: 'string' },
      tries: { type: 'string' },
      'unlock-key': { type: 'string' },
      seed: { type: 'string' },
      otp: { type: 'string' },
      digits: { type: 'string' },
      step: { type: 'string' },
      algorithm: { type: 'string' },
      via: { type: 'string' },
    });
    const id = model as ModelId;
    if (id === 'dscplus') {
      for (const flag of ['otp', 'digits', 'step', 'algorithm']) {
        if (p.values[flag] !== undefined) throw new UsageError(`--${flag} is for the DSC; a DSC+ takes --suite`);
      }
    }
    const otp: Partial<OtpProfile> = {};
    const mode = oneOf(p, 'otp', ['totp', 'hotp'] as const);
    if (mode) otp.mode = mode;
    const digits = int(p, 'digits', 6, 8);
    if (digits !== undefined) otp.digits = digits;
    const stepS = int(p, 'step', 1, 3600);
    if (stepS !== undefined) otp.step = stepS;
    const algorithm = oneOf(p, 'algorithm', HASH_NAMES);
    if (algorithm) otp.algorithm = algorithm;
    const unlockKey = str(p, 'unlock-key');
    const nv = provision({
      model: id,
      secret: fromHex(required(p, 'secret', 'device run'), '--secret'),
      serial: str(p, 'serial'),
      pin: str(p, 'pin'),
      suite: str(p, 'suite'),
      otp: id === 'dsc' ? otp : undefined,
      counter: int(p, 'counter', 0, Number.MAX_SAFE_INTEGER),
      maxTries: int(p, 'tries', 1, 15),
      unlockKey: unlockKey === undefined ? undefined : fromHex(unlockKey, '--unlock-key'),
    });
    const seed = str(p, 'seed') ?? '0';
    const via = oneOf(p, 'via', ['model', 'stream', 'hid'] as const) ?? 'model';
    const actions = parseScript(required(p, 'keys', 'device run'), modelSpec(id).keys);
    const start = int(p, 'time', 0, 8_640_000_000_000_000) ?? io.now();
    let steps: ScriptStep[];
    if (via === 'model') {
      steps = runScript(Device.provision(new MemoryStorage(), seededRng(seed), nv), actions, start).steps;
    } else {
      // The same token behind the protocol, on an in-memory link, its clock paused at the start.
      // Served as a host serves it: the client authenticates (for BATTERY:OUT/IN) with a key made for this run.
      const labKey = systemRng()(32);
      const token = DeviceToken.create(new MemoryStorage(), seededRng(seed), nv, 0, {
        clock: { deviceAt: start, hostAt: 0, rate: 1, paused: true },
        labKey,
      });
      const [host, dev] = memoryPair();
      serveToken(token, dev, via, () => 0);
      const port = via === 'hid' ? hidHostPort(host, () => 0, systemRng()) : streamPort(host, () => 0);
      const link = new Link(port, nodeScheduler);
      try {
        const client = new TokenClient(link);
        await client.authenticate(labKey);
        steps = await runScriptOverClient(client, actions);
      } finally {
        link.close();
      }
    }
    if (p.values.json) {
      io.out(JSON.stringify(steps));
    } else {
      const width = Math.max(...steps.map((s) => s.input.length));
      for (const s of steps) io.out(`${s.input.padEnd(width)}  ${s.display === '' ? '(blank)' : s.display}`);
    }
    return 0;
  },
};
