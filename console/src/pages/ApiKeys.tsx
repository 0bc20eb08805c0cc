import { useState } from 'react';
import { api, errorMessage } from '../api';
import { CredentialForm, type CredentialInput } from '../components/CredentialForm';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { Empty, ErrorNote, formatTime, Loading } from '../components/Feedback';
import { SecretReveal } from '../components/Secret';
import { usePaged } from '../components/usePaged';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  models: string[];
  rateLimit: { requestsPerMinute: number } | null;
  quota: { requestsPerMonth: number } | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  previousKeyExpiresAt: string | null;
  createdAt: string;
}

type Action =
  | { kind: 'create' }
  | { kind: 'rotate'; key: ApiKey }
  | { kind: 'revoke'; key: ApiKey }
  | { kind: 'secret'; title: string; key: ApiKey & { key: string } };

export function statusOf(credential: { revokedAt?: string | null; expiresAt?: string | null; disabled?: boolean }) {
  if (credential.revokedAt) return 'revoked';
  if (credential.disabled) return 'disabled';
  if (credential.expiresAt && Date.parse(credential.expiresAt) <= Date.now()) return 'expired';
  return 'active';
}

export function ApiKeysPage() {
  const list = usePaged<ApiKey>('/v1/admin/api-keys?limit=100');
  const [action, setAction] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [grace, setGrace] = useState('3600');
  const [notice, setNotice] = useState<string>();

  const close = () => {
    setAction(null);
    setError(undefined);
  };

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const create = (input: CredentialInput) =>
    run(async () => {
      const created = await api.post<ApiKey & { key: string }>('/v1/admin/api-keys', input);
      setAction({ kind: 'secret', title: `API key “${created.name}” created`, key: created });
      setNotice(`Created API key ${created.name}.`);
      await list.reload();
    });

  const rotate = (key: ApiKey) =>
    run(async () => {
      const rotated = await api.post<ApiKey & { key: string }>(
        `/v1/admin/api-keys/${encodeURIComponent(key.id)}/rotate`,
        {
          gracePeriodSeconds: Number(grace),
        },
      );
      setAction({ kind: 'secret', title: `API key “${rotated.name}” rotated`, key: rotated });
      setNotice(`Rotated API key ${rotated.name}.`);
      await list.reload();
    });

  const revoke = (key: ApiKey) =>
    run(async () => {
      await api.delete(`/v1/admin/api-keys/${encodeURIComponent(key.id)}`);
      close();
      setNotice(`Revoked API key ${key.name}.`);
      await list.reload();
    });

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>API keys</h1>
        <button type="button" className="primary" onClick={() => setAction({ kind: 'create' })}>
          Create API key
        </button>
      </div>
      <p role="status" className="notice">
        {notice}
      </p>
      <ErrorNote error={list.error} />
      {list.loading && list.items.length === 0 ? (
        <Loading what="API keys" />
      ) : list.items.length === 0 ? (
        <Empty>No API keys yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Models</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((key) => {
                const status = statusOf(key);
                return (
                  <tr key={key.id} data-key-id={key.id}>
                    <th scope="row">{key.name}</th>
                    <td className="mono">{key.prefix}</td>
                    <td>
                      <ul className="tags">
                        {key.scopes.map((scope) => (
                          <li key={scope} className="mono">
                            {scope}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td className="mono">{key.models.join(', ')}</td>
                    <td>
                      <span className={`badge ${status}`}>{status}</span>
                      {key.previousKeyExpiresAt && Date.parse(key.previousKeyExpiresAt) > Date.now() && (
                        <span className="hint"> previous key valid until {formatTime(key.previousKeyExpiresAt)}</span>
                      )}
                    </td>
                    <td>{formatTime(key.createdAt)}</td>
                    <td>{formatTime(key.lastUsedAt)}</td>
                    <td>{formatTime(key.expiresAt)}</td>
                    <td className="actions">
                      {status !== 'revoked' && (
                        <>
                          <button
                            type="button"
                            onClick={() => setAction({ kind: 'rotate', key })}
                            aria-label={`Rotate ${key.name}`}
                          >
                            Rotate
                          </button>
                          <button
                            type="button"
                            className="danger"
                            onClick={() => setAction({ kind: 'revoke', key })}
                            aria-label={`Revoke ${key.name}`}
                          >
                            Revoke
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {list.nextCursor && (
        <button type="button" onClick={() => void list.loadMore()} disabled={list.loading}>
          Load more
        </button>
      )}

      <Dialog title="Create an API key" open={action?.kind === 'create'} onClose={close}>
        <CredentialForm kind="api-key" busy={busy} onSubmit={(input) => void create(input)} onCancel={close} />
        <ErrorNote error={error} />
      </Dialog>

      <ConfirmDialog
        title={action?.kind === 'rotate' ? `Rotate “${action.key.name}”?` : 'Rotate'}
        open={action?.kind === 'rotate'}
        confirmLabel="Rotate key"
        busy={busy}
        error={error}
        onClose={close}
        onConfirm={() => action?.kind === 'rotate' && void rotate(action.key)}
      >
        <p>A new key is issued and shown once. The current key keeps working for the grace period, then stops.</p>
        <label htmlFor="rotate-grace">Grace period (seconds)</label>
        <input
          id="rotate-grace"
          type="number"
          min={0}
          max={2592000}
          inputMode="numeric"
          value={grace}
          onChange={(event) => setGrace(event.target.value)}
        />
      </ConfirmDialog>

      <ConfirmDialog
        title={action?.kind === 'revoke' ? `Revoke “${action.key.name}”?` : 'Revoke'}
        open={action?.kind === 'revoke'}
        confirmLabel="Revoke key"
        danger
        busy={busy}
        error={error}
        onClose={close}
        onConfirm={() => action?.kind === 'revoke' && void revoke(action.key)}
      >
        <p>Every request with this key fails from now on, on every instance. This cannot be undone.</p>
      </ConfirmDialog>

      <Dialog
        title={action?.kind === 'secret' ? action.title : 'Secret'}
        open={action?.kind === 'secret'}
        onClose={close}
        footer={
          <button type="button" className="primary" onClick={close}>
            I have stored it
          </button>
        }
      >
        {action?.kind === 'secret' && <SecretReveal label="API key" value={action.key.key} />}
      </Dialog>
    </>
  );
}
