import { useEffect, useId, useMemo, useState } from 'react';
import { api, errorMessage, query, SignedOutError } from '../api';
import { TimeChart, formatValue, type Row } from '../components/charts';
import { Empty, ErrorNote, Loading } from '../components/Feedback';

interface Bucket {
  bucket: string;
  principalId?: string;
  model?: string | null;
  version?: string | null;
  status?: number;
  requests: number;
  errors: number;
  avgLatencyMs: number;
  p95LatencyMs: number | null;
}

type GroupBy = 'model' | 'principal' | 'status';
const RANGES = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;
type Range = keyof typeof RANGES;

function groupOf(item: Bucket, groupBy: GroupBy): string {
  switch (groupBy) {
    case 'model':
      return item.model ?? '(no model)';
    case 'principal':
      return item.principalId ?? '(anonymous)';
    case 'status':
      return item.status === undefined ? '(none)' : String(item.status);
  }
}

export function UsagePage() {
  const id = useId();
  const [range, setRange] = useState<Range>('24h');
  const [granularity, setGranularity] = useState<'hour' | 'day'>('hour');
  const [groupBy, setGroupBy] = useState<GroupBy>('model');
  const [items, setItems] = useState<Bucket[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The window ends at the next full hour, so that the current hour's bucket is in it.
  const period = useMemo(() => {
    const to = new Date();
    to.setUTCMinutes(0, 0, 0);
    to.setUTCHours(to.getUTCHours() + 1);
    const from = new Date(to.getTime() - RANGES[range] * 3600_000);
    return { from: from.toISOString(), to: to.toISOString() };
  }, [range]);

  useEffect(() => {
    let current = true;
    setItems(null);
    setError(null);
    api.get<{ items: Bucket[] }>(`/v1/admin/usage${query({ ...period, granularity, groupBy })}`).then(
      (report) => current && setItems(report.items),
      (caught: unknown) => current && !(caught instanceof SignedOutError) && setError(errorMessage(caught)),
    );
    return () => {
      current = false;
    };
  }, [period, granularity, groupBy]);

  const { series, requests, errors, latency, totals } = useMemo(() => {
    const byTime = new Map<number, { r: Row; e: Row; l: Row }>();
    const totals = new Map<string, { requests: number; errors: number; p95: number | null }>();
    for (const item of items ?? []) {
      const t = Date.parse(item.bucket);
      const group = groupOf(item, groupBy);
      const rows = byTime.get(t) ?? { r: { t }, e: { t }, l: { t } };
      rows.r[group] = (rows.r[group] ?? 0) + item.requests;
      rows.e[group] = (rows.e[group] ?? 0) + item.errors;
      if (item.p95LatencyMs !== null) rows.l[group] = Math.max(rows.l[group] ?? 0, item.p95LatencyMs);
      byTime.set(t, rows);
      const total = totals.get(group) ?? { requests: 0, errors: 0, p95: null };
      total.requests += item.requests;
      total.errors += item.errors;
      if (item.p95LatencyMs !== null) total.p95 = Math.max(total.p95 ?? 0, item.p95LatencyMs);
      totals.set(group, total);
    }
    // Buckets without traffic are zeros, not gaps: every bucket of the period is on the chart.
    const step = granularity === 'day' ? 86_400_000 : 3_600_000;
    const end = Date.parse(period.to);
    for (let t = Math.floor(Date.parse(period.from) / step) * step; t < end; t += step) {
      if (!byTime.has(t)) byTime.set(t, { r: { t }, e: { t }, l: { t } });
    }
    const times = [...byTime.keys()].sort((a, b) => a - b);
    const series = [...totals.keys()].sort();
    const requests = times.map((t) => byTime.get(t)!.r);
    const errors = times.map((t) => byTime.get(t)!.e);
    for (const row of [...requests, ...errors]) for (const name of series) row[name] ??= 0;
    return { series, requests, errors, latency: times.map((t) => byTime.get(t)!.l), totals };
  }, [items, groupBy, granularity, period]);

  const timeFormat = (t: number) =>
    granularity === 'day'
      ? new Date(t).toLocaleDateString([], { month: 'short', day: 'numeric' })
      : new Date(t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  const csvHref = `/v1/admin/usage/events${query({ ...period, format: 'csv' })}`;

  return (
    <>
      <h1 tabIndex={-1}>Usage</h1>
      <form className="filters" aria-label="Usage report" onSubmit={(event) => event.preventDefault()}>
        <div>
          <label htmlFor={`${id}-range`}>Period</label>
          <select id={`${id}-range`} value={range} onChange={(event) => setRange(event.target.value as Range)}>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-granularity`}>Buckets</label>
          <select
            id={`${id}-granularity`}
            value={granularity}
            onChange={(event) => setGranularity(event.target.value as 'hour' | 'day')}
          >
            <option value="hour">Hourly</option>
            <option value="day">Daily</option>
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-group`}>Group by</label>
          <select id={`${id}-group`} value={groupBy} onChange={(event) => setGroupBy(event.target.value as GroupBy)}>
            <option value="model">Model</option>
            <option value="principal">Principal</option>
            <option value="status">Status</option>
          </select>
        </div>
        <a className="button" href={csvHref} download="usage-events.csv">
          Download events (CSV)
        </a>
      </form>
      <ErrorNote error={error} />
      {items === null ? (
        !error && <Loading what="usage" />
      ) : items.length === 0 ? (
        <Empty>No usage in this period.</Empty>
      ) : (
        <>
          <div className="charts">
            <TimeChart
              title={`Requests by ${groupBy}`}
              rows={requests}
              series={series}
              timeFormat={timeFormat}
              stacked
            />
            <TimeChart title={`Errors by ${groupBy}`} rows={errors} series={series} timeFormat={timeFormat} stacked />
            <TimeChart
              title={`p95 latency by ${groupBy}`}
              rows={latency}
              series={series}
              unit=" ms"
              timeFormat={timeFormat}
            />
          </div>
          <div className="table-wrap">
            <table>
              <caption>Totals by {groupBy}</caption>
              <thead>
                <tr>
                  <th scope="col">{groupBy[0].toUpperCase() + groupBy.slice(1)}</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Error rate</th>
                  <th scope="col">Highest p95</th>
                </tr>
              </thead>
              <tbody>
                {series.map((name) => {
                  const total = totals.get(name)!;
                  return (
                    <tr key={name} data-group={name}>
                      <th scope="row" className="mono">
                        {name}
                      </th>
                      <td data-column="requests">{total.requests}</td>
                      <td>{total.errors}</td>
                      <td>{total.requests > 0 ? `${formatValue((100 * total.errors) / total.requests)}%` : '—'}</td>
                      <td>{total.p95 === null ? '—' : `${formatValue(total.p95)} ms`}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
