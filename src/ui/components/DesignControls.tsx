import { listDevices } from '../../core/hw/devices.ts';
import type { Granularity, Rounding, ScaleType } from '../../core/quant/grid.ts';
import { useApp } from '../store/index.ts';
import { activationControl } from '../store/data-fit.ts';

const ROUND_TO = [1, 2, 4, 8, 16];
const ACTIVATION_BITS = [2, 3, 4, 5, 6, 7, 8, 10, 12, 16];

/** Device, clock, budget, quantization scheme and evaluation size: the settings shared by every layer. */
export function DesignControls() {
  const design = useApp((s) => s.design);
  const customDevices = useApp((s) => s.customDevices);
  const { setDevice, setClock, setBudget, setScheme, setRoundTo, setActivationBits } = useApp.getState();
  const quant = design.compression.quant ?? {};
  // A model without matching data starts weights-only; the control turns activations on once data exists.
  const activations = activationControl({ model: useApp((s) => s.model), dataset: useApp((s) => s.dataset) });
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
      <label title={activations.reason ?? 'Activation width of every layer without its own (the A bits column); float keeps activations unquantized'}>
        activations
        <select
          value={quant.activationBits ?? 'float'}
          onChange={(e) => setActivationBits(e.target.value === 'float' ? null : Number(e.target.value))}
          data-testid="activation-bits"
        >
          <option value="float">float</option>
          {ACTIVATION_BITS.map((b) => (
            <option key={b} value={b} disabled={!activations.canQuantize}>
              {b} bits
            </option>
          ))}
        </select>
      </label>
      {!activations.canQuantize && (
        <span className="muted" data-testid="activation-bits-note">
          weights only: import data of the model’s input to quantize activations
        </span>
      )}
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
