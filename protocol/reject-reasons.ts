/**
 * Why a line was refused. A closed set: every reason is a label value of
 * `obsmon_bridge_rejected_lines_total{reason}` and the word after `ERR ` on the wire.
 */
export const REJECT_REASONS = [
  /** Not `<node> <time> <key>=<value> ...`: too few fields, a field without `=`, control or non-ASCII bytes. */
  'malformed',
  /** Node name outside NODE_PATTERN. */
  'bad_node',
  /** Timestamp not a positive decimal number of seconds. */
  'bad_timestamp',
  /** Key neither standard, alias nor custom pattern; or a bad qualifier. */
  'bad_key',
  /** A custom key that is a name the storage layout uses itself (`node`, `time`, `device`, `mount`, ...). */
  'reserved_key',
  /** The same key (with the same qualifier) twice in one line. */
  'duplicate_key',
  /** Value not a finite decimal number, or outside the key's range. */
  'bad_value',
  /** Line longer than the bridge's limit; discarded up to its newline, the connection goes on. */
  'too_long',
  /** Timestamp older than the backfill window. */
  'too_old',
  /** Node not in the inventory while the inventory is enforced. */
  'unknown_node',
  /** Node would exceed the bridge's node limit. */
  'too_many_nodes',
  /** Node would exceed its series limit. */
  'too_many_series',
  /** Authentication is required and the connection has not sent a valid `AUTH <token>` first. */
  'unauthenticated',
  /** The connection's token (or client certificate) does not grant reporting for this node. */
  'forbidden_node',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];
