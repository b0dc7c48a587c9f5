/** `/proc/uptime`: "834.39 1459.32" (seconds up, idle seconds summed over cores). */
export function parseUptime(text: string): number | undefined {
  const first = text.trim().split(/\s+/)[0];
  const seconds = Number(first);
  return first === undefined || first === '' || !Number.isFinite(seconds) || seconds < 0 ? undefined : seconds;
}
