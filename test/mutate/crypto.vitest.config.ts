/**
 * The tests the crypto area's mutation run gives each mutant of firmware/crypto: test/crypto only,
 * with the property tests capped as in vitest.config.ts. The full list (vitest.config.ts) also
 * runs every device, verifier and service suite that computes a code, which on a shared 2-core
 * machine made a run of the area's 959 mutants take well over an hour; this list measures what the
 * crypto suites themselves check, so a mutant that only another subject's tests catch counts as
 * surviving here (the score is a lower bound of the full list's).
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default defineConfig({ test: { ...base.test, include: ['test/crypto/**/*.test.ts'] } });
