import { useEffect } from 'react';
import { AccuracyFpsChart } from './charts/AccuracyFpsChart.tsx';
import { CyclesChart } from './charts/CyclesChart.tsx';
import { ParetoChart } from './charts/ParetoChart.tsx';
import { ResourceChart } from './charts/ResourceChart.tsx';
import { SensitivityCharts } from './charts/SensitivityCharts.tsx';
import { BaselineCard } from './components/BaselineCard.tsx';
import { DesignControls } from './components/DesignControls.tsx';
import { DesignPoints } from './components/DesignPoints.tsx';
import { ErrorBanner } from './components/ErrorBanner.tsx';
import { JobsBar } from './components/JobsBar.tsx';
import { LayerTable } from './components/LayerTable.tsx';
import { ModelOpener } from './components/ModelOpener.tsx';
import { ModelSummaryCard } from './components/ModelSummaryCard.tsx';
import { SessionBar } from './components/SessionBar.tsx';
import { SummaryCards } from './components/SummaryCards.tsx';
import { RecoveryControls } from './components/RecoveryControls.tsx';
import { DataPanel } from './data/DataPanel.tsx';
import { DEFAULT_MODEL_URL, useApp } from './store/index.ts';
import { restoreSession, startPersisting } from './store/persist.ts';

/**
 * Measured accuracy of the exact current design follows edits after a pause (debounced, superseded
 * jobs cancelled). A component of its own so that design edits do not re-render the whole App.
 */
function AutoMeasure() {
  const design = useApp((s) => s.design);
  const evalLimit = useApp((s) => s.evalLimit);
  const baselineStatus = useApp((s) => s.baseline.status);
  const model = useApp((s) => s.model);
  useEffect(() => {
    if (!model || baselineStatus === 'running' || baselineStatus === 'idle') return;
    const timer = setTimeout(() => void useApp.getState().measureDesign(), 700);
    return () => clearTimeout(timer);
  }, [design.compression, design.recovery?.reconstruct, evalLimit, baselineStatus, model]);
  return null;
}

export function App() {
  const model = useApp((s) => s.model);
  const loadingModel = useApp((s) => s.loadingModel);
  const runBaseline = useApp((s) => s.runBaseline);

  // Restore the saved session, or open the default model; then keep saving.
  useEffect(() => {
    let stop: (() => void) | undefined;
    void (async () => {
      const restored = await restoreSession();
      if (!restored && !useApp.getState().model) await useApp.getState().openModelUrl(DEFAULT_MODEL_URL, 'dscnn-fmnist.onnx');
      stop = startPersisting();
    })();
    return () => stop?.();
  }, []);

  // Every newly opened model gets its float accuracy measured.
  useEffect(() => {
    if (model) void runBaseline();
  }, [model, runBaseline]);

  return (
    <ModelOpener>
      <AutoMeasure />
      <SessionBar />
      <ErrorBanner />
      <main>
        {model ? (
          <>
            <div className="cards">
              <ModelSummaryCard />
              <BaselineCard />
            </div>
            <DesignControls />
            <SummaryCards />
            <RecoveryControls />
            <JobsBar />
            <LayerTable />
            <DataPanel />
            <div className="charts">
              <SensitivityCharts />
              <AccuracyFpsChart />
              <CyclesChart />
              <ResourceChart />
              <ParetoChart />
            </div>
            <DesignPoints />
          </>
        ) : (
          <p className="empty">{loadingModel ? 'Loading the default model…' : 'No model open. Open an .onnx file to begin.'}</p>
        )}
      </main>
    </ModelOpener>
  );
}
