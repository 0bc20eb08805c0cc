import { useState } from 'react';

/** A secret shown this once, with a copy button; the caller's dialog says it will not be shown again. */
export function SecretReveal({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="secret">
      <p className="warning">Copy it now: it is shown only this once and cannot be recovered.</p>
      <label>
        {label}
        <input className="mono" readOnly value={value} onFocus={(event) => event.currentTarget.select()} data-secret />
      </label>
      <button type="button" onClick={() => void copy()}>
        Copy {label.toLowerCase()}
      </button>
      <span role="status" className="hint">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Could not copy: select it and copy.'
            : ''}
      </span>
    </div>
  );
}
