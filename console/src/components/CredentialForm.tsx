import { useId, useState, type FormEvent } from 'react';
import { useSessionInfo } from '../session';

/** Every scope a credential may carry (docs/API.md, "Credentials and scopes"). */
export const SCOPES = [
  'models:read',
  'models:infer',
  'usage:read',
  'keys:manage',
  'clients:manage',
  'models:manage',
  'usage:admin',
  'audit:read',
];

export interface CredentialInput {
  name: string;
  scopes: string[];
  models?: string[];
  rateLimit?: { requestsPerMinute: number };
  quota?: { requestsPerMonth: number };
  expiresAt?: string;
  tokenTtlSeconds?: number;
}

/**
 * The fields API keys and OAuth clients share: name, scopes (only those the signed-in user holds can be
 * granted), model allow-list and limits; `kind` adds the key's expiry or the client's token lifetime.
 */
export function CredentialForm({
  kind,
  busy,
  onSubmit,
  onCancel,
}: {
  kind: 'api-key' | 'oauth-client';
  busy: boolean;
  onSubmit: (input: CredentialInput) => void;
  onCancel: () => void;
}) {
  const session = useSessionInfo();
  const id = useId();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(() =>
    session.scopes.includes('models:infer') ? ['models:infer'] : [],
  );
  const [models, setModels] = useState('*');
  const [rpm, setRpm] = useState('');
  const [monthly, setMonthly] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [ttl, setTtl] = useState('');
  const [problem, setProblem] = useState<string>();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (scopes.length === 0) {
      setProblem('Choose at least one scope.');
      return;
    }
    setProblem(undefined);
    const input: CredentialInput = { name: name.trim(), scopes };
    const list = models
      .split(',')
      .map((model) => model.trim())
      .filter(Boolean);
    if (list.length > 0) input.models = list;
    if (rpm) input.rateLimit = { requestsPerMinute: Number(rpm) };
    if (monthly) input.quota = { requestsPerMonth: Number(monthly) };
    if (kind === 'api-key' && expiresAt) input.expiresAt = new Date(expiresAt).toISOString();
    if (kind === 'oauth-client' && ttl) input.tokenTtlSeconds = Number(ttl);
    onSubmit(input);
  };

  return (
    <form onSubmit={submit} className="form" aria-describedby={problem ? `${id}-problem` : undefined}>
      <label htmlFor={`${id}-name`}>Name</label>
      <input
        id={`${id}-name`}
        required
        maxLength={100}
        value={name}
        onChange={(event) => setName(event.target.value)}
        autoComplete="off"
      />
      <fieldset>
        <legend>Scopes</legend>
        <div className="checkboxes">
          {SCOPES.map((scope) => {
            // Nobody grants a scope they lack (the platform refuses it with 403): those are shown, disabled.
            const held = session.scopes.includes(scope);
            return (
              <label key={scope} className="checkbox">
                <input
                  type="checkbox"
                  checked={scopes.includes(scope)}
                  disabled={!held}
                  onChange={(event) =>
                    setScopes(event.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))
                  }
                />
                <span className="mono">{scope}</span>
                {!held && <span className="hint"> (you do not hold it)</span>}
              </label>
            );
          })}
        </div>
      </fieldset>
      <label htmlFor={`${id}-models`}>Models (comma-separated patterns)</label>
      <input
        id={`${id}-models`}
        value={models}
        onChange={(event) => setModels(event.target.value)}
        aria-describedby={`${id}-models-hint`}
      />
      <p id={`${id}-models-hint`} className="hint">
        <span className="mono">*</span> for every model, or names and patterns such as{' '}
        <span className="mono">iris, fraud-*</span>.
      </p>
      <div className="row">
        <div>
          <label htmlFor={`${id}-rpm`}>Requests per minute (optional)</label>
          <input
            id={`${id}-rpm`}
            type="number"
            min={1}
            inputMode="numeric"
            value={rpm}
            onChange={(event) => setRpm(event.target.value)}
          />
        </div>
        <div>
          <label htmlFor={`${id}-month`}>Requests per month (optional)</label>
          <input
            id={`${id}-month`}
            type="number"
            min={1}
            inputMode="numeric"
            value={monthly}
            onChange={(event) => setMonthly(event.target.value)}
          />
        </div>
      </div>
      {kind === 'api-key' ? (
        <>
          <label htmlFor={`${id}-expires`}>Expires (optional)</label>
          <input
            id={`${id}-expires`}
            type="datetime-local"
            value={expiresAt}
            onChange={(event) => setExpiresAt(event.target.value)}
          />
        </>
      ) : (
        <>
          <label htmlFor={`${id}-ttl`}>Token lifetime in seconds (optional)</label>
          <input
            id={`${id}-ttl`}
            type="number"
            min={60}
            inputMode="numeric"
            value={ttl}
            onChange={(event) => setTtl(event.target.value)}
          />
        </>
      )}
      {problem && (
        <p id={`${id}-problem`} role="alert" className="error">
          {problem}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : kind === 'api-key' ? 'Create key' : 'Create client'}
        </button>
      </div>
    </form>
  );
}
