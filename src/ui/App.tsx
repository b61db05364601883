import { useEffect } from 'react';
import { BaselineCard } from './components/BaselineCard.tsx';
import { ErrorBanner } from './components/ErrorBanner.tsx';
import { LayerTable } from './components/LayerTable.tsx';
import { ModelOpener } from './components/ModelOpener.tsx';
import { ModelSummaryCard } from './components/ModelSummaryCard.tsx';
import { DEFAULT_MODEL_URL, useApp } from './store.ts';

export function App() {
  const model = useApp((s) => s.model);
  const loadingModel = useApp((s) => s.loadingModel);
  const openModelUrl = useApp((s) => s.openModelUrl);
  const runBaseline = useApp((s) => s.runBaseline);

  // The default model opens by itself on first load.
  useEffect(() => {
    if (!useApp.getState().model) void openModelUrl(DEFAULT_MODEL_URL, 'dscnn-fmnist.onnx');
  }, [openModelUrl]);

  // Every newly opened model gets its baseline accuracy measured.
  useEffect(() => {
    if (model) void runBaseline();
  }, [model, runBaseline]);

  return (
    <ModelOpener>
      <header className="app-header">
        <h1>edgefold</h1>
        <p className="tagline">prune · quantize · fold depthwise-separable CNNs onto FPGA pipelines</p>
      </header>
      <ErrorBanner />
      <main>
        {model ? (
          <>
            <div className="cards">
              <ModelSummaryCard />
              <BaselineCard />
            </div>
            <LayerTable />
          </>
        ) : (
          <p className="empty">{loadingModel ? 'Loading the default model…' : 'No model open. Open an .onnx file to begin.'}</p>
        )}
      </main>
    </ModelOpener>
  );
}
