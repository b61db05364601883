import { parseArgs } from 'node:util';
import { EdgefoldError } from '../core/errors.ts';
import { clip, quote } from '../core/limits.ts';
import type { CliIO, Command } from './command.ts';
import { commands } from './commands/index.ts';

const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'edgefold: compress depthwise-separable CNNs and fold them onto a streaming FPGA pipeline.',
    '',
    'Usage: edgefold <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "edgefold <command> --help" for a command\'s options.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary, '', 'Options:'];
  for (const [name, option] of Object.entries(command.options)) {
    const flag = option.short ? `-${option.short}, --${name}` : `    --${name}`;
    lines.push(`  ${flag}${option.type === 'string' ? ' <value>' : ''}`);
  }
  return lines.join('\n');
}

/** Entry point; returns the exit code so tests can call it in-process. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out('edgefold 0.1.0');
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`edgefold: unknown command ${quote(name, 60)}. Run "edgefold --help" for the list of commands.`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // One line and a hint: the full usage would bury the message.
    io.err(`edgefold ${name}: ${clip((error as Error).message)}\nRun "edgefold ${name} --help" for its options.`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(parsed.positionals, parsed.values, io);
  } catch (error) {
    // Branch on the code (worker threads keep it, see ErrorRecord), never on the message.
    if (error instanceof EdgefoldError && error.code !== 'internal') {
      io.err(`edgefold ${name}: ${error.message}`);
      return error.code === 'bad-input' || error.code === 'unsupported' ? 2 : 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`edgefold ${name}: internal error: ${message}`);
    if (process.env.EDGEFOLD_DEBUG && error instanceof Error) io.err(error.stack ?? '');
    return 1;
  }
}
