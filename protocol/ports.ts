/** Default agent TCP port of the bridge (protocol v1); agents default to it too (exporter `--server`). */
export const DEFAULT_INGEST_PORT = 7070;
/** Default HTTP port of the bridge: `/metrics`, the API (rts2-sensord `--bridge`) and the status page. */
export const DEFAULT_HTTP_PORT = 7080;
