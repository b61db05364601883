export type * from './types.ts';
export { parseNpy, parseNpz, encodeNpy, type NpyArray } from './npy.ts';
export { importNpz, importNpy, importIdx, importArrays, importLoadedDatasets, imagesFromArray, labelsFromArray } from './arrays.ts';
export type { ArrayImportOptions, NpzImportOptions, ArrayLayout } from './arrays.ts';
export { importImageFolder, importImageZip, unzipFolder, planImageFolder, IMAGE_EXTENSIONS, type InputFile, type FolderImportOptions } from './image-folder.ts';
export { imageAt, imageCount, summarizeImported, contentHash, checkLabels } from './source.ts';
export {
  defaultPreprocessing,
  validatePreprocessing,
  modelInputGeometry,
  datasetPreprocessing,
  preprocessAll,
  channelsOf,
  type PreprocessSpec,
  type ResizeMode,
  type ColorMode,
  type Layout,
} from './preprocess.ts';
export { splitIndices, validateSplit, DEFAULT_SPLIT, SPLIT_NAMES, type SplitSpec, type SplitName } from './split.ts';
export { defaultLabelMapping, validateLabelMapping, datasetForModel, type LabelMapping } from './labels.ts';
export { prepareDataset, datasetIdentity, previewTiles, subset, type DatasetIdentity, type PreparedDataset, type PreviewTile } from './prepare.ts';
export { sha256Hex, Sha256, canonicalJson } from './sha256.ts';
export { detectFormat, type DetectedFormat } from './detect.ts';
