import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  Area,
  AreaChart,
} from 'recharts';

/** Colours with at least 3:1 contrast against the white chart background (WCAG 1.4.11). */
export const SERIES_COLOURS = ['#1f5fbf', '#b3261e', '#1b7a3d', '#8a4b00', '#6a1b9a', '#00695c', '#ad1457', '#37474f'];

export type Row = { t: number } & Record<string, number>;

export interface ChartProps {
  title: string;
  rows: Row[];
  series: string[];
  unit?: string;
  /** How the x axis prints a time. */
  timeFormat: (t: number) => string;
  stacked?: boolean;
  height?: number;
}

/**
 * A time series chart (Recharts), with a text summary and a table fallback for screen readers: the
 * figure's caption names it, and the last values are given in words.
 */
export function TimeChart({ title, rows, series, unit = '', timeFormat, stacked, height = 240 }: ChartProps) {
  const last = rows.at(-1);
  const summary =
    last && series.length > 0
      ? series.map((name) => `${name}: ${formatValue(last[name] ?? 0)}${unit}`).join(', ')
      : 'No data yet.';
  const common = (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#d0d4da" />
      <XAxis
        dataKey="t"
        type="number"
        scale="time"
        domain={['dataMin', 'dataMax']}
        tickFormatter={timeFormat}
        stroke="#3c4350"
        minTickGap={24}
      />
      <YAxis stroke="#3c4350" width={56} allowDecimals unit={unit} />
      <Tooltip
        labelFormatter={(value) => timeFormat(Number(value))}
        formatter={(value) => `${formatValue(Number(value))}${unit}`}
      />
      <Legend />
    </>
  );
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div className="chart-area" style={{ height }} aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          {stacked ? (
            <AreaChart data={rows}>
              {common}
              {series.map((name, index) => (
                <Area
                  key={name}
                  dataKey={name}
                  name={name}
                  stackId="1"
                  type="monotone"
                  stroke={SERIES_COLOURS[index % SERIES_COLOURS.length]}
                  fill={SERIES_COLOURS[index % SERIES_COLOURS.length]}
                  fillOpacity={0.25}
                  isAnimationActive={false}
                />
              ))}
            </AreaChart>
          ) : (
            <LineChart data={rows}>
              {common}
              {series.map((name, index) => (
                <Line
                  key={name}
                  dataKey={name}
                  name={name}
                  type="monotone"
                  stroke={SERIES_COLOURS[index % SERIES_COLOURS.length]}
                  strokeWidth={2}
                  dot={false}
                  isAnimationActive={false}
                  connectNulls
                />
              ))}
            </LineChart>
          )}
        </ResponsiveContainer>
      </div>
      <p className="sr-only">
        {title}. Latest: {summary}
      </p>
    </figure>
  );
}

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(value < 10 ? 2 : 1);
}
