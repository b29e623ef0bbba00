/** Every case, in the order they run: protocol §1-§3, then the device rules and the lockstep run. */
import type { Case } from '../case.ts';
import { AUTH_CASES } from './auth.ts';
import { COMMAND_CASES } from './commands.ts';
import { DEVICE_CASES } from './device.ts';
import { HID_CASES, STREAM_CASES } from './framing.ts';
import { LOCKSTEP_CASES } from './lockstep.ts';

export const ALL_CASES: Case[] = [...COMMAND_CASES, ...AUTH_CASES, ...STREAM_CASES, ...HID_CASES, ...DEVICE_CASES, ...LOCKSTEP_CASES];
