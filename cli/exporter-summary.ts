/**
 * The agent's one-line summary in `obsmon --help`: its own module, so that the full CLI's command list
 * names the exporter without loading it (a bridge process never runs the agent's code).
 */
export const EXPORTER_COMMAND = "the agent: collects this machine's values and pushes them to a bridge";
