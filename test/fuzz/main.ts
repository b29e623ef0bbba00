/** `npm run fuzz [COUNT] [SEED]`: at least 1,000,000 inputs by default. Exits 1 if anything escaped. */
import { fuzz } from './fuzz.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isSafeInteger(count) || count < 1) {
  console.error(`fuzz: COUNT must be a whole number above 0, got "${process.argv[2]}"`);
  process.exit(2);
}
const start = performance.now();
const r = fuzz(count, seed);
const secs = (performance.now() - start) / 1000;
console.log(
  `fuzz: ${r.inputs.toLocaleString('en-US')} inputs (seed ${seed}) through the stream and HID assemblers, COBS, frame, TLV and APDU decoders and the DSC+, DSC and card dispatchers in ${secs.toFixed(1)} s`,
);
console.log(
  `fuzz: ${r.escaped} exceptions escaped; largest partial stream frame held ${r.maxStreamPending} bytes; heap grew ${r.heapGrowthMb.toFixed(1)} MB`,
);
const top = Object.entries(r.statuses).sort((a, b) => b[1] - a[1]);
console.log(`fuzz: dispatcher status words: ${top.map(([sw, n]) => `${sw} x${n}`).join(', ')}`);
if (r.escaped) {
  console.error(`fuzz: first escape: ${r.firstEscape}`);
  process.exit(1);
}
