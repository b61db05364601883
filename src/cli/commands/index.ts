import type { Command } from '../command.ts';
import { allocateCommand } from './allocate.ts';
import { frontierCommand } from './frontier.ts';
import { sensitivityCommand } from './sensitivity.ts';
import { applyCommand } from './apply.ts';
import { devicesCommand } from './devices.ts';
import { estimateCommand } from './estimate.ts';
import { groupsCommand } from './groups.ts';
import { evalCommand } from './eval.ts';
import { inspectCommand } from './inspect.ts';
import { refitHeadCommand } from './refit-head.ts';
import { retrainCommand } from './retrain.ts';
import { rtlCommand } from './rtl.ts';
import { synthCommand } from './synth.ts';
import { workerCommand } from './worker.ts';

/** Every CLI command, in the order `edgefold --help` lists them. */
export const commands: Command[] = [inspectCommand, evalCommand, groupsCommand, applyCommand, estimateCommand, rtlCommand, synthCommand, devicesCommand, refitHeadCommand, retrainCommand, sensitivityCommand, allocateCommand, frontierCommand, workerCommand];
