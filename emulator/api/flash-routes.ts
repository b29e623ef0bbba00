/**
 * Control API routes for images, flashing and provisioning (docs/api.md, "Boards: images,
 * flashing, provisioning"). A flash runs as a job the caller polls for progress; provisioning
 * answers when done. The host's lab key authenticates to tokens it serves. Secrets never appear
 * in an answer.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../../firmware/errors.ts';
import { fromHex } from '../../firmware/bytes.ts';
import { summarize } from '../flash/summary.ts';
import { FlashError } from '../flash/errors.ts';
import type { ProgressEvent } from '../flash/flasher.ts';
import { parseImage } from '../flash/image-file.ts';
import type { Image } from '../flash/image.ts';
import { FLASH_METHODS, imageSummary, methodOf, runFlash } from '../flash/run.ts';
import { checkFlashFile, checkQemuImage } from '../flash/qemu-board.ts';
import { DEFAULT_QEMU_ELF } from '../boards/qemu.ts';
import { UF2_FAMILIES } from '../flash/uf2.ts';
import { HostError, type Host } from '../host/host.ts';
import { ProvisionError } from '../provision/auth.ts';
import { readKeyFile, readOrCreateKey } from '../provision/keys.ts';
import { provisionOne, PROVISION_MODELS } from '../provision/provision.ts';
import { randomSecret } from '../provision/secret.ts';
import { firstProblem } from './schemas.ts';

type Route = {
  method: string;
  pattern: RegExp;
  run: (m: RegExpExecArray, body: () => Promise<unknown>, url: URL) => Promise<[number, unknown]> | [number, unknown];
};

const u32 = z.union([
  z.number().int().min(0).max(0xffffffff),
  z
    .string()
    .regex(/^0x[0-9a-fA-F]{1,8}$/)
    .transform((s) => parseInt(s.slice(2), 16)),
]);
const family = z.union([u32, z.enum(Object.keys(UF2_FAMILIES) as [string, ...string[]]).transform((k) => UF2_FAMILIES[k])]);

/** An image given as a file on the host (the desktop app) or as base64 bytes (a browser). */
const imageSource = {
  path: z.string().min(1).max(4096).optional(),
  data: z
    .string()
    .max(8 * 1024 * 1024)
    .optional(),
  base: u32.optional(),
  family: family.optional(),
};

const infoBody = z.object(imageSource).strict();
const flashBody = z
  .object({
    ...imageSource,
    target: z.string().min(1).max(300),
    method: z.enum(FLASH_METHODS).optional(),
    verify: z.boolean().optional(),
    massErase: z.boolean().optional(),
    /** The user said yes to erasing the whole flash (the UI asks). */
    confirmMassErase: z.boolean().optional(),
    start: z.boolean().optional(),
  })
  .strict();
const provisionBody = z
  .object({
    target: z.string().min(1).max(300),
    model: z.enum(PROVISION_MODELS as [string, ...string[]]),
    secret: z
      .string()
      .regex(/^[0-9a-fA-F]+$/)
      .optional(),
    serial: z.string().max(64).optional(),
    pin: z.string().max(16).optional(),
    suite: z.string().max(128).optional(),
    seal: z.boolean().optional(),
    /** A board key file on the host; made (random, 0600) when sealing and it does not exist. */
    boardKeyPath: z.string().min(1).max(4096).optional(),
  })
  .strict();

function check<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new HostError(400, firstProblem(r.error));
  return r.data;
}

function loadImage(b: z.infer<typeof infoBody>): Image {
  if ((b.path === undefined) === (b.data === undefined))
    throw new HostError(400, 'give the image as "path" (a file on the host) or "data" (base64), one of them');
  let bytes: Uint8Array;
  if (b.path !== undefined) {
    try {
      bytes = new Uint8Array(readFileSync(b.path));
    } catch (err) {
      throw new HostError(400, `cannot read ${b.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else bytes = new Uint8Array(Buffer.from(b.data!, 'base64'));
  return parseImage(bytes, { base: b.base, family: b.family });
}

interface Job {
  id: string;
  target: string;
  state: 'running' | 'done' | 'failed';
  stage: ProgressEvent['stage'] | null;
  done: number;
  total: number;
  lines: string[];
  error: string | null;
  started: number;
}

const MAX_JOBS = 50;

export function flashRoutes(host: Host): Route[] {
  const jobs = new Map<string, Job>();
  const busy = new Set<string>();
  return [
    {
      method: 'POST',
      pattern: /^\/api\/images\/info$/,
      run: async (_m, body) => {
        const b = check(infoBody, await body());
        return [200, summarize(b.path ?? 'upload', loadImage(b))];
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/flash$/,
      run: async (_m, body) => {
        const b = check(flashBody, await body());
        const method = b.method ?? methodOf(b.target);
        if (busy.has(b.target)) throw new HostError(409, `${b.target} is being flashed already`);
        const image = loadImage(b);
        // An attached QEMU board is restarted in place: refuse a wrong board or image now (4xx), not in the job.
        const qemu = method === 'qemu' ? host.boards.qemuBoard(b.target) : null;
        if (qemu) {
          checkFlashFile(qemu.address.kind === 'qemu' && qemu.address.elf ? qemu.address.elf : DEFAULT_QEMU_ELF);
          checkQemuImage(image);
          if (busy.has(`token:${qemu.id}`)) throw new HostError(409, `${qemu.id} is being flashed already`);
        }
        const job: Job = {
          id: randomBytes(6).toString('hex'),
          target: b.target,
          state: 'running',
          stage: null,
          done: 0,
          total: 0,
          lines: [imageSummary(image)],
          error: null,
          started: Date.now(),
        };
        if (jobs.size >= MAX_JOBS) jobs.delete(jobs.keys().next().value!);
        jobs.set(job.id, job);
        const key = qemu ? `token:${qemu.id}` : b.target;
        busy.add(key);
        runFlash({
          target: b.target,
          method,
          image,
          family: b.family,
          verify: b.verify,
          massErase: b.massErase,
          confirm: async () => !!b.confirmMassErase,
          start: b.start ?? true,
          progress: (e) => {
            if (e.stage !== job.stage && e.note) job.lines.push(`${e.stage}: ${e.note}`);
            job.stage = e.stage;
            job.done = e.done;
            job.total = e.total;
          },
          line: (l) => job.lines.push(l),
          now: Date.now,
          qemuBoards: host.boards,
        })
          .then(() => (job.state = 'done'))
          .catch((err: Error) => {
            job.state = 'failed';
            job.error = err instanceof FlashError || err instanceof InputError ? err.message : `internal error: ${err.message}`;
          })
          .finally(() => busy.delete(key));
        return [202, job];
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/flash\/([0-9a-f]{12})$/,
      run: (m) => {
        const job = jobs.get(m[1]);
        if (!job) throw new HostError(404, `no flash job ${m[1]}`);
        return [200, job];
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/provision$/,
      run: async (_m, body) => {
        const b = check(provisionBody, await body());
        try {
          const secret = b.secret ? fromHex(b.secret, 'secret') : randomSecret(b.model, b.suite);
          const boardKey = b.boardKeyPath ? (b.seal ? readOrCreateKey(b.boardKeyPath).key : readKeyFile(b.boardKeyPath)) : undefined;
          const report = await provisionOne({
            target: b.target,
            model: b.model as (typeof PROVISION_MODELS)[number],
            secret,
            serial: b.serial,
            pin: b.pin,
            suite: b.suite,
            seal: b.seal,
            authKey: b.target.startsWith('tcp:') && host.labKey.length ? host.labKey : boardKey,
            boardKey,
          });
          return [200, report];
        } catch (err) {
          if (err instanceof ProvisionError) throw new HostError(502, err.message);
          throw err;
        }
      },
    },
  ];
}
