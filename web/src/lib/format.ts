/** Readouts of the runs board: durations, times ago, metric values. */

/** Seconds as "0.9 s", "42 s", "3 min 20 s", "2 h 05 min". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.round(seconds - 60 * m)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** How long ago an ISO time was: "just now", "5 min ago", "3 h ago", or the date. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const s = Math.max(0, (now - t) / 1000);
  if (s < 10) return 'just now';
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** A metric value with four significant digits, a true minus sign, "—" when not finite. */
export function metric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const s = a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  return s.replace('-', '−');
}

/** Any JSON value as one line of text for a table cell: lists joined by commas, objects as key: value pairs. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.map(cell).join(', ');
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${cell(x)}`).join(' · ');
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : metric(v);
  return String(v);
}

/** Wall time of a run: from its creation to its last update (to now while it runs); null when unknown. */
export function wallTime(created: string | null, updated: string | null, running: boolean, now = Date.now()): number | null {
  const start = created ? Date.parse(created) : NaN;
  const end = running ? now : updated ? Date.parse(updated) : NaN;
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, (end - start) / 1000) : null;
}
