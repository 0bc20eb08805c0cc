import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorMessage, SignedOutError, uploadWithProgress } from '../api';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { Empty, ErrorNote, formatBytes, Loading } from '../components/Feedback';
import { useHasScope } from '../session';

interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}
interface ModelVersion {
  version: string;
  state: 'READY' | 'LOADING' | 'UNAVAILABLE' | 'FAILED';
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  sha256: string | null;
  sizeBytes: number | null;
  error?: string;
  deprecatedAt?: string | null;
  sunsetAt?: string | null;
}
/** An alias points at one version, or (traffic splits) at weights per version. */
type AliasTarget = string | { versions: Record<string, number> } | Record<string, number>;
interface ModelDetail {
  name: string;
  description: string | null;
  versions: string[];
  aliases: Record<string, AliasTarget>;
  /** Aliases that split traffic: alias → version → weight (`aliases` holds their heaviest version). */
  trafficSplits?: Record<string, Record<string, number>>;
  defaultVersion: string | null;
  ready: boolean;
  versionDetails: ModelVersion[];
}

const encode = encodeURIComponent;

function describeAlias(target: AliasTarget): string {
  if (typeof target === 'string') return `version ${target}`;
  const weights = 'versions' in target && typeof target.versions === 'object' ? target.versions : target;
  return Object.entries(weights as Record<string, number>)
    .map(([version, weight]) => `v${version} ${weight}%`)
    .join(' · ');
}

/** Every alias with what it points at: a version, or the weights of a traffic split. */
function aliasesOf(model: ModelDetail): Record<string, AliasTarget> {
  return { ...model.aliases, ...model.trafficSplits };
}

/** "2" → {version:"2"}; "1=90, 2=10" (or "1:90 2:10") → {versions:{"1":90,"2":10}}. */
export function aliasBody(text: string): { version: string } | { versions: Record<string, number> } | string {
  const trimmed = text.trim();
  if (/^[^\s=:,]+$/.test(trimmed)) return { version: trimmed };
  const versions: Record<string, number> = {};
  for (const part of trimmed.split(/[\s,]+/).filter(Boolean)) {
    const match = /^([^=:]+)[=:](\d+)$/.exec(part);
    if (!match) return `“${part}” is not version=weight.`;
    versions[match[1]] = Number(match[2]);
  }
  const total = Object.values(versions).reduce((sum, weight) => sum + weight, 0);
  if (total !== 100) return `The weights add up to ${total}, not 100.`;
  return { versions };
}

export function ModelsPage() {
  const canManage = useHasScope('models:manage');
  const canRead = useHasScope('models:read');
  const [models, setModels] = useState<ModelDetail[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string>();
  const [uploading, setUploading] = useState(false);

  const load = useCallback(async () => {
    if (!canRead) return;
    setError(null);
    try {
      const { models: summaries } = await api.get<{ models: { name: string }[] }>('/v1/models');
      const details = await Promise.all(
        summaries.map((summary) => api.get<ModelDetail>(`/v1/models/${encode(summary.name)}`)),
      );
      setModels(details.sort((a, b) => a.name.localeCompare(b.name)));
    } catch (caught) {
      if (!(caught instanceof SignedOutError)) setError(errorMessage(caught));
    }
  }, [canRead]);

  useEffect(() => {
    void load();
  }, [load]);

  // While a version is LOADING, look again every second.
  useEffect(() => {
    if (!models?.some((model) => model.versionDetails.some((version) => version.state === 'LOADING'))) return;
    const timer = window.setTimeout(() => void load(), 1000);
    return () => window.clearTimeout(timer);
  }, [models, load]);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Models</h1>
        {canManage && (
          <button type="button" className="primary" onClick={() => setUploading(true)}>
            Upload a version
          </button>
        )}
      </div>
      <p role="status" className="notice">
        {notice}
      </p>
      <ErrorNote error={error} />
      {!canRead ? (
        <p>Listing models needs the models:read scope, which your session does not hold.</p>
      ) : models === null ? (
        !error && <Loading what="models" />
      ) : models.length === 0 ? (
        <Empty>No models yet. Upload an ONNX file to serve the first one.</Empty>
      ) : (
        models.map((model) => (
          <ModelCard key={model.name} model={model} canManage={canManage} onChanged={load} onNotice={setNotice} />
        ))
      )}
      <UploadDialog
        open={uploading}
        onClose={() => setUploading(false)}
        existing={models?.map((model) => model.name) ?? []}
        onUploaded={(name, version) => {
          setNotice(`Uploaded ${name} version ${version}.`);
          void load();
        }}
      />
    </>
  );
}

type VersionAction = { kind: 'load' | 'unload' | 'delete'; version: ModelVersion };

function ModelCard({
  model,
  canManage,
  onChanged,
  onNotice,
}: {
  model: ModelDetail;
  canManage: boolean;
  onChanged: () => Promise<void>;
  onNotice: (notice: string) => void;
}) {
  const headingId = useId();
  const [action, setAction] = useState<VersionAction | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [aliasName, setAliasName] = useState('');
  const [aliasTarget, setAliasTarget] = useState('');
  const [aliasError, setAliasError] = useState<string>();

  const act = async (what: VersionAction) => {
    setBusy(true);
    setError(undefined);
    const base = `/v1/admin/models/${encode(model.name)}/versions/${encode(what.version.version)}`;
    try {
      if (what.kind === 'delete') await api.delete(base);
      else await api.post(`${base}/${what.kind}`);
      setAction(null);
      onNotice(
        `${what.kind === 'load' ? 'Loaded' : what.kind === 'unload' ? 'Unloaded' : 'Deleted'} ${model.name} version ${what.version.version}.`,
      );
      await onChanged();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const setAlias = async (event: FormEvent) => {
    event.preventDefault();
    const body = aliasBody(aliasTarget);
    if (typeof body === 'string') {
      setAliasError(body);
      return;
    }
    setAliasError(undefined);
    try {
      await api.put(`/v1/admin/models/${encode(model.name)}/aliases/${encode(aliasName.trim())}`, body);
      onNotice(`Alias ${aliasName.trim()} of ${model.name} now points to ${aliasTarget.trim()}.`);
      setAliasName('');
      setAliasTarget('');
      await onChanged();
    } catch (caught) {
      setAliasError(errorMessage(caught));
    }
  };

  const signature = (specs: TensorSpec[]) =>
    specs.map((spec) => `${spec.name} ${spec.datatype}[${spec.shape.join(', ')}]`).join('; ');

  return (
    <section className="card" aria-labelledby={headingId} data-model={model.name}>
      <h2 id={headingId}>
        {model.name}{' '}
        <span className={`badge ${model.ready ? 'active' : 'failed'}`}>{model.ready ? 'serving' : 'not ready'}</span>
      </h2>
      {model.description && <p>{model.description}</p>}
      <p className="hint">
        Default version: {model.defaultVersion ?? 'none'}
        {Object.keys(aliasesOf(model)).length > 0 && ' · Aliases: '}
        {Object.entries(aliasesOf(model))
          .map(([alias, target]) => `${alias} → ${describeAlias(target)}`)
          .join(', ')}
      </p>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Versions of {model.name}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Inputs</th>
              <th scope="col">Outputs</th>
              <th scope="col">Size</th>
              <th scope="col">SHA-256</th>
              {canManage && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {model.versionDetails.map((version) => (
              <tr key={version.version} data-version={version.version}>
                <th scope="row">{version.version}</th>
                <td>
                  <span className={`badge state-${version.state.toLowerCase()}`} data-state={version.state}>
                    {version.state}
                  </span>
                  {version.error && <span className="hint"> {version.error}</span>}
                </td>
                <td className="mono small">{signature(version.inputs)}</td>
                <td className="mono small">{signature(version.outputs)}</td>
                <td>{formatBytes(version.sizeBytes)}</td>
                <td className="mono small" title={version.sha256 ?? undefined}>
                  {version.sha256 ? `${version.sha256.slice(0, 12)}…` : '—'}
                </td>
                {canManage && (
                  <td className="actions">
                    {version.state === 'READY' || version.state === 'LOADING' ? (
                      <button
                        type="button"
                        onClick={() => setAction({ kind: 'unload', version })}
                        aria-label={`Unload ${model.name} version ${version.version}`}
                      >
                        Unload
                      </button>
                    ) : (
                      <button
                        type="button"
                        onClick={() => setAction({ kind: 'load', version })}
                        aria-label={`Load ${model.name} version ${version.version}`}
                      >
                        Load
                      </button>
                    )}
                    <button
                      type="button"
                      className="danger"
                      onClick={() => setAction({ kind: 'delete', version })}
                      aria-label={`Delete ${model.name} version ${version.version}`}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canManage && (
        <form
          className="inline-form"
          onSubmit={(event) => void setAlias(event)}
          aria-label={`Set an alias of ${model.name}`}
        >
          <div>
            <label htmlFor={`${headingId}-alias`}>Alias</label>
            <input
              id={`${headingId}-alias`}
              required
              pattern="[a-z][a-z0-9_-]{0,31}"
              value={aliasName}
              onChange={(event) => setAliasName(event.target.value)}
              placeholder="stable"
            />
          </div>
          <div>
            <label htmlFor={`${headingId}-target`}>Version, or split</label>
            <input
              id={`${headingId}-target`}
              required
              value={aliasTarget}
              onChange={(event) => setAliasTarget(event.target.value)}
              placeholder="2  or  1=90, 2=10"
              aria-describedby={`${headingId}-target-hint`}
            />
          </div>
          <button type="submit">Set alias</button>
          <p id={`${headingId}-target-hint`} className="hint wide">
            A version number, or weights per version adding up to 100 to split the alias’s traffic.
          </p>
          <ErrorNote error={aliasError} />
        </form>
      )}
      <ConfirmDialog
        title={
          action
            ? `${action.kind[0].toUpperCase()}${action.kind.slice(1)} ${model.name} version ${action.version.version}?`
            : ''
        }
        open={action !== null}
        confirmLabel={action ? `${action.kind[0].toUpperCase()}${action.kind.slice(1)} version` : ''}
        danger={action?.kind !== 'load'}
        busy={busy}
        error={error}
        onClose={() => {
          setAction(null);
          setError(undefined);
        }}
        onConfirm={() => action && void act(action)}
      >
        <p>
          {action?.kind === 'load'
            ? 'The version is loaded into ONNX Runtime on every instance and served again.'
            : action?.kind === 'unload'
              ? 'Every instance stops serving this version after its requests in flight; the file stays.'
              : 'The version is unloaded and its file deleted. This cannot be undone.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}

function UploadDialog({
  open,
  onClose,
  existing,
  onUploaded,
}: {
  open: boolean;
  onClose: () => void;
  existing: string[];
  onUploaded: (name: string, version: string) => void;
}) {
  const id = useId();
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ loaded: number; total: number } | null>(null);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'loading' | 'done'>('idle');
  const [error, setError] = useState<string>();
  const [controller, setController] = useState<AbortController | null>(null);

  const reset = () => {
    setProgress(null);
    setPhase('idle');
    setError(undefined);
  };
  const close = () => {
    controller?.abort();
    reset();
    setFile(null);
    onClose();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const abort = new AbortController();
    setController(abort);
    setError(undefined);
    setPhase('uploading');
    setProgress({ loaded: 0, total: file.size });
    try {
      const modelName = name.trim();
      const result = await uploadWithProgress<ModelVersion>(
        'PUT',
        `/v1/admin/models/${encode(modelName)}/versions/${encode(version.trim())}`,
        file,
        (loaded, total) => {
          setProgress({ loaded, total });
          if (loaded >= total) setPhase('loading');
        },
        abort.signal,
      );
      setProgress({ loaded: file.size, total: file.size });
      setPhase('done');
      onUploaded(modelName, result?.version ?? version.trim());
    } catch (caught) {
      setPhase('idle');
      setError(errorMessage(caught));
    } finally {
      setController(null);
    }
  };

  const percent = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;

  return (
    <Dialog title="Upload a model version" open={open} onClose={close}>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label htmlFor={`${id}-name`}>Model name</label>
        <input
          id={`${id}-name`}
          required
          list={`${id}-names`}
          pattern="[a-z0-9][a-z0-9._-]*"
          maxLength={64}
          value={name}
          onChange={(event) => setName(event.target.value)}
          aria-describedby={`${id}-name-hint`}
          autoComplete="off"
        />
        <datalist id={`${id}-names`}>
          {existing.map((model) => (
            <option key={model} value={model} />
          ))}
        </datalist>
        <p id={`${id}-name-hint`} className="hint">
          Lower-case letters, digits, dots, dashes and underscores; an existing model gets a new version.
        </p>
        <label htmlFor={`${id}-version`}>Version</label>
        <input
          id={`${id}-version`}
          required
          type="number"
          min={1}
          inputMode="numeric"
          value={version}
          onChange={(event) => setVersion(event.target.value)}
        />
        <label htmlFor={`${id}-file`}>ONNX file</label>
        <input
          id={`${id}-file`}
          required
          type="file"
          accept=".onnx,application/octet-stream"
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
        {progress && (
          <div className="progress">
            <label htmlFor={`${id}-progress`}>
              {phase === 'uploading'
                ? `Uploading… ${percent}%`
                : phase === 'loading'
                  ? 'Uploaded; loading it in ONNX Runtime…'
                  : phase === 'done'
                    ? 'Uploaded and READY.'
                    : `Stopped at ${percent}%`}
            </label>
            <progress id={`${id}-progress`} max={progress.total || 1} value={progress.loaded} />
            <span role="status" className="sr-only">
              {phase === 'done' ? 'Upload complete: the version is READY.' : ''}
            </span>
          </div>
        )}
        <ErrorNote error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={close}>
            {phase === 'done' ? 'Close' : 'Cancel'}
          </button>
          {phase !== 'done' && (
            <button type="submit" className="primary" disabled={phase !== 'idle' || !file}>
              Upload
            </button>
          )}
          {phase === 'done' && (
            <button type="button" className="primary" onClick={reset}>
              Upload another
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
