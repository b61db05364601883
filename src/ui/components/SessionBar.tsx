import { useApp } from '../store/index.ts';
import { useActiveSweep } from '../store/derived.ts';
import { exportAccelerator, exportCompressedModel, exportDeploymentConfig, exportFinnFolding, exportSweep, importDeploymentConfigFile } from '../export.ts';
import { FilePickerButton } from './FilePickerButton.tsx';
import { openModelFile } from './ModelOpener.tsx';

/** Title, open model, export / import of the deployment config, new session. */
export function SessionBar() {
  const model = useApp((s) => s.model);
  const hasSweep = Boolean(useActiveSweep());
  return (
    <header className="app-header">
      <h1>edgefold</h1>
      <p className="tagline">prune · quantize · fold depthwise-separable CNNs onto FPGA pipelines</p>
      <div className="toolbar">
        <FilePickerButton label="Open ONNX model…" accept=".onnx" inputLabel="Open ONNX model file" inputTestId="model-file-input" onFile={(file) => void openModelFile(file)} />
        <span className="hint">or drop one on the page</span>
        <button type="button" disabled={!model} onClick={() => void exportDeploymentConfig()} data-testid="export-config">
          Export config
        </button>
        <button type="button" disabled={!model} onClick={() => void exportCompressedModel()}>
          Export compressed ONNX
        </button>
        <button type="button" disabled={!model} onClick={() => void exportFinnFolding()}>
          Export FINN folding
        </button>
        <button type="button" disabled={!model} onClick={() => void exportAccelerator()} data-testid="export-accelerator" title="Verilog-2005 accelerator for the current design and folding, with weights, testbench and README (zip)">
          Export Verilog
        </button>
        <button type="button" disabled={!hasSweep} onClick={() => void exportSweep('csv')} data-testid="export-sweep-csv">
          Export sensitivity CSV
        </button>
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
