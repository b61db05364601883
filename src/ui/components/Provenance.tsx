const TITLES = {
  measured: 'Measured: onnxruntime ran the exact model on real test images.',
  predicted: 'Predicted from the per-layer sensitivity curves (not measured).',
  estimated: 'Estimated by the analytical FPGA model (docs/hardware-model.md), not synthesized.',
} as const;

export type ProvenanceKind = keyof typeof TITLES;

/** Says where a number comes from: measured, predicted, or estimated by a documented formula. */
export function Provenance({ kind }: { kind: ProvenanceKind }) {
  return (
    <span className={`provenance ${kind}`} title={TITLES[kind]}>
      {kind}
    </span>
  );
}
