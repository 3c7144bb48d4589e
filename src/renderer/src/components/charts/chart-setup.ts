// Chart.js, with only the parts the charts use, and what they share: member colours, time ticks
// and options that keep each update cheap (no animation; the chart object is kept and updated).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartOptions,
  type ChartType,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
Chart.defaults.color = '#5a6472';

const MEMBER_COLORS = ['#1f4e8c', '#d9480f', '#2b8a3e', '#7048e8', '#c2255c', '#0b7285', '#a87b00'];

/** The same colour for a member in every chart: n1, n2, ... take the palette in order. */
export function memberColor(id: string): string {
  const number = /^n(\d+)$/.exec(id);
  let index: number;
  if (number) index = Number(number[1]) - 1;
  else index = [...id].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) >>> 0, 0);
  return MEMBER_COLORS[index % MEMBER_COLORS.length];
}

export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** Options every chart starts from. */
export function baseOptions<T extends ChartType>(): ChartOptions<T> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'nearest', intersect: false },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } } },
  } as ChartOptions<T>;
}

/** The least span a time axis shows, so that one sample (or none) does not make an axis of days or of one instant. */
export const MIN_TIME_SPAN_MS = 60_000;

/**
 * A linear x axis of epoch milliseconds, labelled with the time of day, that ends at `now` and
 * reaches back to `earliest` (the first point shown) or MIN_TIME_SPAN_MS, whichever is longer.
 */
export function timeAxis(now: number, earliest: number | undefined) {
  return {
    type: 'linear',
    min: Math.min(earliest ?? now, now - MIN_TIME_SPAN_MS),
    max: now,
    ticks: { callback: (value: number | string) => clockTime(Number(value)), maxTicksLimit: 6, maxRotation: 0 },
    grid: { color: '#eef0f3' },
  } as const;
}
