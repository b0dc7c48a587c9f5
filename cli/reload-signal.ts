/**
 * Calls `onReload` on every SIGHUP (systemd `ExecReload`, `kill -HUP`) until the returned function is
 * called. Without a listener Node ends the process on SIGHUP (exit 129, no log line), which under
 * `Restart=on-failure` would leave the service down.
 */
export function onReloadSignal(onReload: () => void): () => void {
  const handler = () => onReload();
  process.on('SIGHUP', handler);
  return () => process.off('SIGHUP', handler);
}
