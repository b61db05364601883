import { useState } from 'react';
import { activationControl } from '../store/data-fit.ts';
import { useApp } from '../store/index.ts';
import { useActiveSweep } from '../store/derived.ts';
import { exportAccelerator, exportCompressedModel, exportDeploymentConfig, exportFinnFolding, exportSweep, importDeploymentConfigFile } from '../export.ts';
import { FilePickerButton } from './FilePickerButton.tsx';
import { openModelFile } from './ModelOpener.tsx';

/** An export button that says it is busy (and takes no second click) until its file is written. */
function ExportButton({ label, busyLabel, run, disabled, testId, title }: { label: string; busyLabel: string; run: () => Promise<void>; disabled: boolean; testId?: string; title?: string }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      disabled={disabled || busy}
      aria-busy={busy}
      data-testid={testId}
      title={title}
      onClick={() => {
        setBusy(true);
        void run().finally(() => setBusy(false));
      }}
    >
      {busy ? busyLabel : label}
    </button>
  );
}

/** Title, open model, export / import of the deployment config, new session. */
export function SessionBar() {
  const model = useApp((s) => s.model);
  const hasSweep = Boolean(useActiveSweep());
  // The accelerator computes in fixed point end to end (src/core/rtl/build.ts requireQuantizedDesign).
  const floatActivations = useApp((s) => s.design.compression.quant?.activationBits == null);
  const canQuantize = activationControl({ model, dataset: useApp((s) => s.dataset) }).canQuantize;
  return (
    <header className="app-header">
      <h1>edgefold</h1>
      <p className="tagline">prune · quantize · fold depthwise-separable CNNs onto FPGA pipelines</p>
      <div className="toolbar">
        <FilePickerButton label="Open ONNX model…" accept=".onnx" inputLabel="Open ONNX model file" inputTestId="model-file-input" onFile={(file) => void openModelFile(file)} />
        <span className="hint">or drop one on the page</span>
        <ExportButton label="Export config" busyLabel="Exporting config…" disabled={!model} run={exportDeploymentConfig} testId="export-config" />
        <ExportButton label="Export compressed ONNX" busyLabel="Exporting ONNX…" disabled={!model} run={exportCompressedModel} />
        <ExportButton label="Export FINN folding" busyLabel="Exporting folding…" disabled={!model} run={exportFinnFolding} />
        <ExportButton
          label="Export Verilog"
          busyLabel="Building Verilog…"
          disabled={!model || floatActivations}
          run={exportAccelerator}
          testId="export-accelerator"
          title={
            floatActivations && canQuantize
              ? 'Verilog needs fixed-point activations and this design keeps them float: choose an activation width in the Device & scheme tab.'
              : floatActivations
              ? 'Verilog needs fixed-point activations and this design keeps them float: quantizing activations calibrates on images of the model’s input shape, which this model has no bundled data for (import them in the Data tab).'
              : 'Verilog-2005 accelerator for the current design and folding, with weights, testbench and README (zip)'
          }
        />
        <ExportButton label="Export sensitivity CSV" busyLabel="Exporting CSV…" disabled={!hasSweep} run={() => exportSweep('csv')} testId="export-sweep-csv" />
        <FilePickerButton
          label="Import config…"
          accept=".json,application/json"
          inputLabel="Import deployment config file"
          inputTestId="config-file-input"
          disabled={!model}
          onFile={(file) => void importDeploymentConfigFile(file)}
        />
        <button
          type="button"
          onClick={() => {
            if (confirm('Start a new session? The current design, design points and sweeps are cleared.')) void useApp.getState().newSession();
          }}
        >
          New session
        </button>
      </div>
    </header>
  );
}
