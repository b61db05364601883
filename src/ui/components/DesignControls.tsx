import { listDevices } from '../../core/hw/devices.ts';
import type { Granularity, Rounding, ScaleType } from '../../core/quant/grid.ts';
import { useApp } from '../store/index.ts';

const ROUND_TO = [1, 2, 4, 8, 16];

/** Device, clock, budget, quantization scheme and evaluation size: the settings shared by every layer. */
export function DesignControls() {
  const design = useApp((s) => s.design);
  const customDevices = useApp((s) => s.customDevices);
  const { setDevice, setClock, setBudget, setScheme, setRoundTo } = useApp.getState();
  const quant = design.compression.quant ?? {};
  const devices = [...listDevices(), ...customDevices];
  return (
    <section className="controls" aria-label="Design settings">
      <label>
        device
        <select value={design.hardware.device} onChange={(e) => setDevice(e.target.value)} data-testid="device-select">
          {devices.map((d) => (
            <option key={d.id} value={d.id}>
              {d.vendor} {d.name}
              {d.custom ? ' (custom)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        clock (MHz)
        <input
          type="number"
          min={10}
          max={800}
          step={5}
          value={design.hardware.clockMHz}
          onChange={(e) => Number(e.target.value) > 0 && setClock(Number(e.target.value))}
          data-testid="clock-input"
        />
      </label>
      <label>
        budget {Math.round(design.hardware.budget * 100)} %
        <input
          type="range"
          min={0.1}
          max={1}
          step={0.05}
          value={design.hardware.budget}
          onChange={(e) => setBudget(Number(e.target.value))}
          aria-valuetext={`${Math.round(design.hardware.budget * 100)} percent of each resource`}
        />
      </label>
      <label>
        weights
        <select value={quant.granularity ?? 'per-channel'} onChange={(e) => setScheme({ granularity: e.target.value as Granularity })}>
          <option value="per-channel">per-channel</option>
          <option value="per-tensor">per-tensor</option>
        </select>
      </label>
      <label>
        scale
        <select value={quant.scale ?? 'float'} onChange={(e) => setScheme({ scale: e.target.value as ScaleType })}>
          <option value="float">float</option>
          <option value="po2">power of two (Qm.n)</option>
        </select>
      </label>
      <label>
        rounding
        <select value={quant.rounding ?? 'half-even'} onChange={(e) => setScheme({ rounding: e.target.value as Rounding })}>
          <option value="half-even">half to even</option>
          <option value="floor">floor (ap_fixed AP_TRN)</option>
        </select>
      </label>
      <label>
        channels multiple of
        <select value={design.compression.prune?.roundTo ?? 1} onChange={(e) => setRoundTo(Number(e.target.value))} data-testid="round-to">
          {ROUND_TO.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
    </section>
  );
}
