import { useEffect, useMemo, useRef, useState } from 'react';
import { TimeChart, formatValue, type Row } from '../components/charts';

/** One message of `GET /v1/admin/usage/live` (docs/API.md): the last second, across all instances. */
interface LiveTick {
  at: string;
  models: { model: string; version: string; requests: number; errors: number; p95LatencyMs: number | null }[];
}

const WINDOW_SECONDS = 120;

type Status = 'connecting' | 'live' | 'reconnecting';

function liveUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}/v1/admin/usage/live`;
}

/** The live WebSocket, reconnecting with a growing delay (1 s up to 30 s) when it drops. */
function useLiveUsage(): { ticks: LiveTick[]; status: Status } {
  const [ticks, setTicks] = useState<LiveTick[]>([]);
  const [status, setStatus] = useState<Status>('connecting');
  const retry = useRef(1000);
  useEffect(() => {
    let socket: WebSocket | undefined;
    let timer: number | undefined;
    let stopped = false;
    const connect = () => {
      socket = new WebSocket(liveUrl());
      socket.onopen = () => {
        retry.current = 1000;
        setStatus('live');
      };
      socket.onmessage = (event: MessageEvent<string>) => {
        let tick: LiveTick;
        try {
          tick = JSON.parse(event.data) as LiveTick;
        } catch {
          return;
        }
        if (!Array.isArray(tick.models)) return;
        setTicks((previous) => [...previous, tick].slice(-WINDOW_SECONDS));
      };
      socket.onclose = () => {
        if (stopped) return;
        setStatus('reconnecting');
        timer = window.setTimeout(connect, retry.current);
        retry.current = Math.min(retry.current * 2, 30_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      socket?.close();
    };
  }, []);
  return { ticks, status };
}

const clock = (t: number) =>
  new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function OverviewPage() {
  const { ticks, status } = useLiveUsage();

  const { models, requests, errors, latency, totals } = useMemo(() => {
    const names = new Set<string>();
    const totals = new Map<string, { requests: number; errors: number; p95: number | null }>();
    const requests: Row[] = [];
    const errors: Row[] = [];
    const latency: Row[] = [];
    for (const tick of ticks) {
      const t = Date.parse(tick.at);
      const r: Row = { t };
      const e: Row = { t };
      const l: Row = { t };
      for (const entry of tick.models) {
        names.add(entry.model);
        r[entry.model] = (r[entry.model] ?? 0) + entry.requests;
        e[entry.model] = (e[entry.model] ?? 0) + entry.errors;
        // The slowest version's p95 stands for the model's (an upper bound: p95s do not add up).
        if (entry.p95LatencyMs !== null) l[entry.model] = Math.max(l[entry.model] ?? 0, entry.p95LatencyMs);
        const total = totals.get(entry.model) ?? { requests: 0, errors: 0, p95: null };
        total.requests += entry.requests;
        total.errors += entry.errors;
        if (entry.p95LatencyMs !== null) total.p95 = Math.max(total.p95 ?? 0, entry.p95LatencyMs);
        totals.set(entry.model, total);
      }
      requests.push(r);
      errors.push(e);
      latency.push(l);
    }
    const models = [...names].sort();
    // A model absent from a second had no traffic in it: zero, not a gap.
    for (const row of [...requests, ...errors]) for (const name of models) row[name] ??= 0;
    return { models, requests, errors, latency, totals };
  }, [ticks]);

  const last = ticks.at(-1);
  const seconds = ticks.length;

  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <p className="lead">
        Requests, errors and p95 latency per model, each second, across all instances.{' '}
        <span role="status" className={`badge ${status}`}>
          {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
      </p>
      <div className="charts">
        <TimeChart title="Requests per second" rows={requests} series={models} timeFormat={clock} />
        <TimeChart title="Errors per second" rows={errors} series={models} timeFormat={clock} />
        <TimeChart title="p95 latency" rows={latency} series={models} unit=" ms" timeFormat={clock} />
      </div>
      <section aria-labelledby="live-totals">
        <h2 id="live-totals">Last {seconds > 0 ? `${seconds} seconds` : 'minutes'}</h2>
        {models.length === 0 ? (
          <p className="empty">No traffic yet{seconds > 0 ? ` in the last ${seconds} seconds` : ''}.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Traffic per model over the window</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Requests last second</th>
                  <th scope="col">Highest p95</th>
                </tr>
              </thead>
              <tbody>
                {models.map((name) => {
                  const total = totals.get(name)!;
                  const now = last?.models.filter((entry) => entry.model === name) ?? [];
                  return (
                    <tr key={name} data-model={name}>
                      <th scope="row">{name}</th>
                      <td data-column="requests">{total.requests}</td>
                      <td data-column="errors">{total.errors}</td>
                      <td>{now.reduce((sum, entry) => sum + entry.requests, 0)}</td>
                      <td>{total.p95 === null ? '—' : `${formatValue(total.p95)} ms`}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
