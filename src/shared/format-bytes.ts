// Byte counts for people: 0 B, 812 B, 24.1 KiB, 3.0 MiB.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** The largest binary unit that `bytes` reaches (B for less than 1 KiB), and its size in bytes. */
export function byteUnit(bytes: number): { name: string; bytes: number } {
  let unit = 0;
  while (unit < UNITS.length - 1 && bytes >= 1024 ** (unit + 1)) unit++;
  return { name: UNITS[unit], bytes: 1024 ** unit };
}

export function formatBytes(bytes: number): string {
  const value = Number.isFinite(bytes) ? Math.max(0, bytes) : 0;
  const unit = byteUnit(value);
  return unit.bytes === 1 ? `${Math.round(value)} B` : `${(value / unit.bytes).toFixed(1)} ${unit.name}`;
}
