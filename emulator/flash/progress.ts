/**
 * Showing flash progress: on a terminal one bar per stage redrawn in place (bytes, rate, time
 * left); elsewhere (a pipe, a log, a test) one plain line when a stage starts and one when it ends.
 */
import type { ProgressEvent, Stage } from './flasher.ts';

const LABEL: Record<Stage, string> = { erase: 'erase ', write: 'write ', verify: 'verify', start: 'start ' };

function size(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

function clock(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.max(0, Math.round(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

export interface ProgressSink {
  /** Whether to draw bars (a terminal) or print plain lines. */
  tty: boolean;
  /** Writes without a newline (bars); only used when tty. */
  write(text: string): void;
  line(text: string): void;
  now(): number;
}

export function progressPrinter(sink: ProgressSink): (e: ProgressEvent) => void {
  let started = 0;
  let stage: Stage | null = null;
  return (e) => {
    const t = sink.now();
    if (e.stage !== stage) {
      stage = e.stage;
      started = t;
      if (!sink.tty) {
        const what = e.stage === 'erase' ? (e.note ?? '') : e.stage === 'start' ? 'starting the firmware' : `${e.total} bytes`;
        sink.line(`${e.stage}: ${what}`);
      }
    } else if (e.note && !sink.tty && e.stage === 'verify') sink.line(`verify: ${e.note}`);
    const secs = (t - started) / 1000;
    if (sink.tty) {
      const frac = e.total ? e.done / e.total : 1;
      const width = 24;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const bytes = e.stage === 'write' || e.stage === 'verify';
      const rate = bytes && secs > 0 ? e.done / secs : 0;
      const left = rate > 0 ? (e.total - e.done) / rate : NaN;
      const detail = bytes
        ? `${size(e.done)}/${size(e.total)}  ${size(Math.round(rate))}/s  ${clock(left)} left`
        : `${e.done}/${e.total}${e.note ? `  ${e.note}` : ''}`;
      sink.write(`\r${LABEL[e.stage]} [${bar}] ${detail}\x1b[K${e.finished ? '\n' : ''}`);
    } else if (e.finished) {
      const rate = (e.stage === 'write' || e.stage === 'verify') && secs > 0 ? `, ${size(Math.round(e.total / secs))}/s` : '';
      sink.line(`${e.stage}: done in ${secs.toFixed(1)} s${rate}`);
    }
  };
}
