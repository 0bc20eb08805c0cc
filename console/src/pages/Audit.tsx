import { useId, useState, type FormEvent } from 'react';
import { query } from '../api';
import { Empty, ErrorNote, formatTime, Loading } from '../components/Feedback';
import { usePaged } from '../components/usePaged';

/** One event of `GET /v1/admin/audit-events` (docs/API.md, "Audit log"). */
interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string; name?: string | null }; // type: api_key, oauth_client or user
  target: { type: string; id: string };
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes?: Record<string, { before?: unknown; after?: unknown }> | null;
}

interface Filters {
  from: string;
  to: string;
  actorId: string;
  action: string;
  targetId: string;
}

const EMPTY: Filters = { from: '', to: '', actorId: '', action: '', targetId: '' };

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function paramsOf(filters: Filters) {
  return {
    from: toIso(filters.from),
    to: toIso(filters.to),
    actorId: filters.actorId.trim(),
    action: filters.action.trim(),
    targetId: filters.targetId.trim(),
  };
}

function show(value: unknown): string {
  if (value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function AuditPage() {
  const id = useId();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const list = usePaged<AuditEvent>(`/v1/admin/audit-events${query({ ...paramsOf(applied), limit: 50 })}`);
  const field = (name: keyof Filters) => ({
    id: `${id}-${name}`,
    value: draft[name],
    onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }),
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setApplied(draft);
  };
  const csvHref = `/v1/admin/audit-events${query({ ...paramsOf(applied), format: 'csv' })}`;

  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <p className="lead">Every change made through the admin API, the console or the CLI, newest first.</p>
      <form className="filters" aria-label="Filter the audit log" onSubmit={apply}>
        <div>
          <label htmlFor={`${id}-from`}>From</label>
          <input type="datetime-local" {...field('from')} />
        </div>
        <div>
          <label htmlFor={`${id}-to`}>To</label>
          <input type="datetime-local" {...field('to')} />
        </div>
        <div>
          <label htmlFor={`${id}-action`}>Action</label>
          <input
            {...field('action')}
            placeholder="api_key.created or api_key.*"
            list={`${id}-actions`}
            autoComplete="off"
          />
          <datalist id={`${id}-actions`}>
            {[
              'api_key.*',
              'oauth_client.*',
              'model_version.*',
              'api_key.created',
              'api_key.updated',
              'api_key.rotated',
              'api_key.revoked',
              'oauth_client.created',
              'oauth_client.updated',
              'oauth_client.secret_rotated',
              'oauth_client.deleted',
              'model_version.uploaded',
              'model_version.loaded',
              'model_version.unloaded',
              'model_version.deleted',
              'alias.updated',
              'session.started',
              'session.ended',
            ].map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
        </div>
        <div>
          <label htmlFor={`${id}-actorId`}>Actor id</label>
          <input {...field('actorId')} autoComplete="off" />
        </div>
        <div>
          <label htmlFor={`${id}-targetId`}>Target id</label>
          <input {...field('targetId')} autoComplete="off" />
        </div>
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            setApplied(EMPTY);
          }}
        >
          Clear
        </button>
        <a className="button" href={csvHref} download="audit-events.csv">
          Download CSV
        </a>
      </form>
      <ErrorNote error={list.error} />
      {list.loading && list.items.length === 0 ? (
        <Loading what="audit events" />
      ) : list.items.length === 0 ? (
        !list.error && <Empty>No audit events match.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="audit">
            <caption className="sr-only">Audit events</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Changes</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((event) => (
                <tr key={event.id} data-action={event.action} data-target-id={event.target.id}>
                  <td>{formatTime(event.at)}</td>
                  <th scope="row" className="mono">
                    {event.action}
                  </th>
                  <td>
                    {event.actor.name ?? event.actor.id}
                    <span className="hint small"> {event.actor.type.replace('_', ' ')}</span>
                  </td>
                  <td>
                    <span className="hint small">{event.target.type} </span>
                    <span className="mono small">{event.target.id}</span>
                  </td>
                  <td>
                    {event.changes && Object.keys(event.changes).length > 0 ? (
                      <details>
                        <summary>{Object.keys(event.changes).join(', ')}</summary>
                        <dl className="changes">
                          {Object.entries(event.changes).map(([name, change]) => (
                            <div key={name}>
                              <dt className="mono">{name}</dt>
                              <dd>
                                <span className="before">{show(change.before)}</span> →{' '}
                                <span className="after">{show(change.after)}</span>
                              </dd>
                            </div>
                          ))}
                        </dl>
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="small">
                    <span className="mono">{event.requestId ?? '—'}</span>
                    {event.ip && <span className="hint"> from {event.ip}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.nextCursor && (
        <button type="button" onClick={() => void list.loadMore()} disabled={list.loading}>
          Load more
        </button>
      )}
    </>
  );
}
