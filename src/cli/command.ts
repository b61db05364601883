import type { ParseArgsConfig } from 'node:util';

/** What a command may write to; tests pass buffers, the binary passes process streams. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** One CLI command. A file per command under src/cli/commands/. */
export interface Command {
  name: string;
  summary: string;
  /** One usage line, e.g. "edgefold inspect <model.onnx> [--json]". */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the exit code: 0 ok, 2 bad input, 1 other failure. */
  run(positionals: string[], values: ParsedValues, io: CliIO): Promise<number>;
}
