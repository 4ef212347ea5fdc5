interface NumberFieldProps {
  label: string;
  testId: string;
  value: number;
  onChange(value: number): void;
  min?: number;
  max?: number;
  step?: number;
}

/** A labelled number input that ignores text that is not a number (the old value stays). */
export function NumberField({ label, testId, value, onChange, min, max, step }: NumberFieldProps) {
  return (
    <label>
      {label}{' '}
      <input
        type="number"
        min={min}
        max={max}
        step={step}
        data-testid={testId}
        value={Number(value.toFixed(4))}
        onChange={(e) => {
          const v = e.target.value;
          if (v.trim() !== '' && Number.isFinite(Number(v))) onChange(Number(v));
        }}
      />
    </label>
  );
}
