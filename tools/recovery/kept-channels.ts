/**
 * Prints, as JSON, the channels edgefold keeps when it prunes the default model (L1, every group,
 * `--ratio`): for each Conv / Gemm whose outputs are pruned, the float model's channel at each
 * kept position (channelMapsFor). tools/recovery/reconstruct_torch.py prunes with exactly these.
 *
 *   node --import tsx tools/recovery/kept-channels.ts --ratio 0.25 > /tmp/kept-0.25.json
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeModel } from '../../src/core/onnx/model.ts';
import { channelMapsFor } from '../../src/core/transfer/recover.ts';

const { values } = parseArgs({ options: { ratio: { type: 'string', default: '0.25' }, model: { type: 'string', default: 'public/models/dscnn-fmnist.onnx' } } });
const model = decodeModel(new Uint8Array(readFileSync(resolve(import.meta.dirname, '../..', values.model!))));
console.log(JSON.stringify(channelMapsFor(model, { version: 1, prune: { criterion: 'l1', ratio: Number(values.ratio) } })));
