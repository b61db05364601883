const TITLES = {
  measured: 'Measured: onnxruntime ran the exact model on real test images.',
  predicted: 'Predicted from the per-layer sensitivity curves (not measured).',
  estimated: 'Estimated by the analytical FPGA model (docs/hardware-model.md), not synthesized.',
  synthesized: "Synthesized: Yosys mapped this design's generated Verilog to the family's cells, counted by docs/hardware-model.md's rules. Before place and route; not the vendor tool's numbers.",
} as const;

export type ProvenanceKind = keyof typeof TITLES;

/** Says where a number comes from: measured, predicted, estimated by a documented formula, or synthesized (with the tool, in `label`). */
export function Provenance({ kind, label }: { kind: ProvenanceKind; label?: string }) {
  return (
    <span className={`provenance ${kind}`} title={TITLES[kind]}>
      {label ?? kind}
    </span>
  );
}
