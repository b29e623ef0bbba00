/**
 * The Boards panel: the boards found on this machine, flashing an image to one (file picker,
 * method, progress bar, result) and provisioning one from a form, through the control API routes
 * of emulator/api/flash-routes.ts (docs/api.md, "Boards: images, flashing, provisioning").
 */
import { useEffect, useRef, useState } from 'react';
import type { TokenbenchClient } from '../../../../emulator/api/client.ts';

interface Probed {
  address: string;
  description: string;
  info: { model: string; serial: string; firmwareVersion: string } | null;
  error?: string;
}

interface FlashJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  stage: string | null;
  done: number;
  total: number;
  lines: string[];
  error: string | null;
}

interface ProvisionReport {
  target: string;
  model: string;
  serial: string;
  steps: string[];
}

async function api<T>(client: TokenbenchClient, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(client.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${client.accessToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`);
  return data;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function BoardsPanel({ client }: { client: TokenbenchClient }) {
  const [boards, setBoards] = useState<Probed[] | null>(null);
  const [scanning, setScanning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [target, setTarget] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [method, setMethod] = useState('');
  const [base, setBase] = useState('');
  const [verify, setVerify] = useState(true);
  const [job, setJob] = useState<FlashJob | null>(null);
  const [prov, setProv] = useState({ model: 'dscplus', serial: '', pin: '', suite: '', seal: false, boardKeyPath: '' });
  const [report, setReport] = useState<ProvisionReport | null>(null);
  const poll = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(poll.current), []);

  const scan = async () => {
    setScanning(true);
    try {
      setBoards(await api<Probed[]>(client, 'GET', '/api/boards'));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setScanning(false);
    }
  };

  const follow = (id: string) => {
    poll.current = setTimeout(async () => {
      try {
        const j = await api<FlashJob>(client, 'GET', `/api/flash/${id}`);
        setJob(j);
        if (j.state === 'running') follow(id);
      } catch (e) {
        setError((e as Error).message);
      }
    }, 250);
  };

  const flash = async () => {
    if (!file) return setError('choose an image file first');
    try {
      const data = base64(new Uint8Array(await file.arrayBuffer()));
      const j = await api<FlashJob>(client, 'POST', '/api/flash', {
        target,
        data,
        verify,
        ...(method && { method }),
        ...(base && { base }),
      });
      setJob(j);
      setError(null);
      follow(j.id);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const provision = async () => {
    try {
      const r = await api<ProvisionReport>(client, 'POST', '/api/provision', {
        target,
        model: prov.model,
        ...(prov.serial && { serial: prov.serial }),
        ...(prov.pin && { pin: prov.pin }),
        ...(prov.suite && { suite: prov.suite }),
        ...(prov.seal && { seal: true }),
        ...(prov.boardKeyPath && { boardKeyPath: prov.boardKeyPath }),
      });
      setReport(r);
      setError(null);
    } catch (e) {
      setReport(null);
      setError((e as Error).message);
    }
  };

  return (
    <section className="boards" aria-label="boards">
      <h2>Boards</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="button" onClick={scan} disabled={scanning}>
        {scanning ? 'Scanning…' : 'Find boards'}
      </button>
      {boards && (
        <ul aria-label="boards found">
          {boards.length === 0 && <li>No serial ports or USB devices.</li>}
          {boards.map((b) => (
            <li key={b.address}>
              <button type="button" onClick={() => setTarget(b.address)} title="use as target">
                {b.address}
              </button>{' '}
              {b.description}: {b.info ? `${b.info.model} ${b.info.serial}, firmware ${b.info.firmwareVersion}` : 'not a tokenbench board'}
            </li>
          ))}
        </ul>
      )}
      <label>
        Target
        <input
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          placeholder="serial:/dev/ttyUSB0 · usb:0483:df11 · uf2:/media/RPI-RP2 · token:board-1 (QEMU) · tcp:127.0.0.1:PORT"
          spellCheck={false}
        />
      </label>
      <form
        aria-label="flash"
        onSubmit={(e) => {
          e.preventDefault();
          void flash();
        }}
      >
        <h3>Flash</h3>
        <label>
          Image (ELF, HEX, BIN, UF2)
          <input type="file" accept=".elf,.hex,.ihex,.bin,.uf2" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Method
          <select value={method} onChange={(e) => setMethod(e.target.value)}>
            <option value="">from the target</option>
            <option value="stm32-uart">STM32 UART bootloader</option>
            <option value="dfu">USB DFU</option>
            <option value="uf2">UF2 drive</option>
            <option value="qemu">QEMU board (restart with the image)</option>
          </select>
        </label>
        <label>
          Base address (raw binary)
          <input value={base} onChange={(e) => setBase(e.target.value)} placeholder="0x08000000" spellCheck={false} />
        </label>
        <label>
          <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} /> Verify by reading back
        </label>
        <button type="submit" disabled={!target || job?.state === 'running'}>
          Flash
        </button>
        {job && (
          <div aria-label="flash progress">
            <progress max={job.total || 1} value={job.state === 'done' ? job.total || 1 : job.done} /> {job.stage ?? 'starting'}{' '}
            {job.total ? `${job.done}/${job.total}` : ''}
            <pre>{[...job.lines, ...(job.error ? [`failed: ${job.error}`] : job.state === 'done' ? ['done'] : [])].join('\n')}</pre>
          </div>
        )}
      </form>
      <form
        aria-label="provision"
        onSubmit={(e) => {
          e.preventDefault();
          void provision();
        }}
      >
        <h3>Provision</h3>
        <label>
          Model
          <select value={prov.model} onChange={(e) => setProv({ ...prov, model: e.target.value })}>
            <option value="dscplus">DSC+</option>
            <option value="dsc">DSC</option>
            <option value="card">Security Code Card</option>
          </select>
        </label>
        <label>
          Serial
          <input value={prov.serial} onChange={(e) => setProv({ ...prov, serial: e.target.value })} />
        </label>
        {prov.model !== 'card' && (
          <>
            <label>
              PIN (empty = 1234)
              <input value={prov.pin} onChange={(e) => setProv({ ...prov, pin: e.target.value })} inputMode="numeric" />
            </label>
            <label>
              Suite (empty = the model's)
              <input value={prov.suite} onChange={(e) => setProv({ ...prov, suite: e.target.value })} spellCheck={false} />
            </label>
          </>
        )}
        <label>
          Board key file (on the host)
          <input value={prov.boardKeyPath} onChange={(e) => setProv({ ...prov, boardKeyPath: e.target.value })} spellCheck={false} />
        </label>
        <label>
          <input type="checkbox" checked={prov.seal} onChange={(e) => setProv({ ...prov, seal: e.target.checked })} /> Seal afterwards
        </label>
        <button type="submit" disabled={!target}>
          Provision with a random secret
        </button>
        {report && (
          <pre aria-label="provision result">{[`${report.model} ${report.serial} at ${report.target}`, ...report.steps].join('\n')}</pre>
        )}
      </form>
    </section>
  );
}
