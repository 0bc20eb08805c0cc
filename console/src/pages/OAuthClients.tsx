import { useState } from 'react';
import { api, errorMessage } from '../api';
import { CredentialForm, type CredentialInput } from '../components/CredentialForm';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { Empty, ErrorNote, formatTime, Loading } from '../components/Feedback';
import { SecretReveal } from '../components/Secret';
import { usePaged } from '../components/usePaged';
import { statusOf } from './ApiKeys';

interface OAuthClient {
  clientId: string;
  name: string;
  scopes: string[];
  models: string[];
  tokenTtlSeconds: number | null;
  disabled: boolean;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}

type Created = OAuthClient & { clientSecret: string };

type Action =
  | { kind: 'create' }
  | { kind: 'rotate'; client: OAuthClient }
  | { kind: 'toggle'; client: OAuthClient }
  | { kind: 'delete'; client: OAuthClient }
  | { kind: 'secret'; title: string; client: Created };

export function OAuthClientsPage() {
  const list = usePaged<OAuthClient>('/v1/admin/oauth-clients?limit=100');
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
  const path = (client: OAuthClient) => `/v1/admin/oauth-clients/${encodeURIComponent(client.clientId)}`;

  const create = (input: CredentialInput) =>
    run(async () => {
      const created = await api.post<Created>('/v1/admin/oauth-clients', input);
      setAction({ kind: 'secret', title: `OAuth client “${created.name}” created`, client: created });
      setNotice(`Created OAuth client ${created.name}.`);
      await list.reload();
    });
  const rotate = (client: OAuthClient) =>
    run(async () => {
      const rotated = await api.post<Created>(`${path(client)}/rotate-secret`, { gracePeriodSeconds: Number(grace) });
      setAction({ kind: 'secret', title: `Secret of “${rotated.name}” rotated`, client: rotated });
      setNotice(`Rotated the secret of ${rotated.name}.`);
      await list.reload();
    });
  const toggle = (client: OAuthClient) =>
    run(async () => {
      await api.patch(path(client), { disabled: !client.disabled });
      close();
      setNotice(`${client.disabled ? 'Enabled' : 'Disabled'} OAuth client ${client.name}.`);
      await list.reload();
    });
  const remove = (client: OAuthClient) =>
    run(async () => {
      await api.delete(path(client));
      close();
      setNotice(`Deleted OAuth client ${client.name}.`);
      await list.reload();
    });

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>OAuth clients</h1>
        <button type="button" className="primary" onClick={() => setAction({ kind: 'create' })}>
          Create OAuth client
        </button>
      </div>
      <p className="lead">Machine clients of the client-credentials grant (POST /oauth/token).</p>
      <p role="status" className="notice">
        {notice}
      </p>
      <ErrorNote error={list.error} />
      {list.loading && list.items.length === 0 ? (
        <Loading what="OAuth clients" />
      ) : list.items.length === 0 ? (
        <Empty>No OAuth clients yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">OAuth clients</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client id</th>
                <th scope="col">Scopes</th>
                <th scope="col">Models</th>
                <th scope="col">Status</th>
                <th scope="col">Token lifetime</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((client) => {
                const status = statusOf(client);
                return (
                  <tr key={client.clientId} data-client-id={client.clientId}>
                    <th scope="row">{client.name}</th>
                    <td className="mono">{client.clientId}</td>
                    <td>
                      <ul className="tags">
                        {client.scopes.map((scope) => (
                          <li key={scope} className="mono">
                            {scope}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td className="mono">{client.models.join(', ')}</td>
                    <td>
                      <span className={`badge ${status}`}>{status}</span>
                      {client.previousSecretExpiresAt && Date.parse(client.previousSecretExpiresAt) > Date.now() && (
                        <span className="hint">
                          {' '}
                          previous secret valid until {formatTime(client.previousSecretExpiresAt)}
                        </span>
                      )}
                    </td>
                    <td>{client.tokenTtlSeconds ? `${client.tokenTtlSeconds} s` : 'default'}</td>
                    <td>{formatTime(client.createdAt)}</td>
                    <td className="actions">
                      <button
                        type="button"
                        onClick={() => setAction({ kind: 'rotate', client })}
                        aria-label={`Rotate the secret of ${client.name}`}
                      >
                        Rotate secret
                      </button>
                      <button
                        type="button"
                        onClick={() => setAction({ kind: 'toggle', client })}
                        aria-label={`${client.disabled ? 'Enable' : 'Disable'} ${client.name}`}
                      >
                        {client.disabled ? 'Enable' : 'Disable'}
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => setAction({ kind: 'delete', client })}
                        aria-label={`Delete ${client.name}`}
                      >
                        Delete
                      </button>
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

      <Dialog title="Create an OAuth client" open={action?.kind === 'create'} onClose={close}>
        <CredentialForm kind="oauth-client" busy={busy} onSubmit={(input) => void create(input)} onCancel={close} />
        <ErrorNote error={error} />
      </Dialog>

      <ConfirmDialog
        title={action?.kind === 'rotate' ? `Rotate the secret of “${action.client.name}”?` : 'Rotate'}
        open={action?.kind === 'rotate'}
        confirmLabel="Rotate secret"
        busy={busy}
        error={error}
        onClose={close}
        onConfirm={() => action?.kind === 'rotate' && void rotate(action.client)}
      >
        <p>A new secret is issued and shown once. The current secret keeps working for the grace period.</p>
        <label htmlFor="client-grace">Grace period (seconds)</label>
        <input
          id="client-grace"
          type="number"
          min={0}
          max={2592000}
          inputMode="numeric"
          value={grace}
          onChange={(event) => setGrace(event.target.value)}
        />
      </ConfirmDialog>

      <ConfirmDialog
        title={
          action?.kind === 'toggle'
            ? `${action.client.disabled ? 'Enable' : 'Disable'} “${action.client.name}”?`
            : 'Disable'
        }
        open={action?.kind === 'toggle'}
        confirmLabel={action?.kind === 'toggle' && action.client.disabled ? 'Enable client' : 'Disable client'}
        danger={action?.kind === 'toggle' && !action.client.disabled}
        busy={busy}
        error={error}
        onClose={close}
        onConfirm={() => action?.kind === 'toggle' && void toggle(action.client)}
      >
        <p>
          {action?.kind === 'toggle' && action.client.disabled
            ? 'The client can get tokens again.'
            : 'The client gets no new tokens, and its outstanding tokens stop working within 5 seconds.'}
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        title={action?.kind === 'delete' ? `Delete “${action.client.name}”?` : 'Delete'}
        open={action?.kind === 'delete'}
        confirmLabel="Delete client"
        danger
        busy={busy}
        error={error}
        onClose={close}
        onConfirm={() => action?.kind === 'delete' && void remove(action.client)}
      >
        <p>The client and its tokens stop working on every instance. This cannot be undone.</p>
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
        {action?.kind === 'secret' && (
          <>
            <p>
              Client id: <span className="mono">{action.client.clientId}</span>
            </p>
            <SecretReveal label="Client secret" value={action.client.clientSecret} />
          </>
        )}
      </Dialog>
    </>
  );
}
