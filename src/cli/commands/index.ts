import type { Command } from '../command.ts';
import { devicesCommand } from './devices.ts';
import { estimateCommand } from './estimate.ts';
import { evalCommand } from './eval.ts';
import { inspectCommand } from './inspect.ts';

/** Every CLI command, in the order `edgefold --help` lists them. */
export const commands: Command[] = [inspectCommand, evalCommand, estimateCommand, devicesCommand];
