/**
 * First words that need no return line (docs/rts2-wire.md §2): protocol notifications, including the
 * binary-channel letters a sensor never uses, and the informational words centrald and peers send.
 */
export const NOTIFICATIONS: ReadonlySet<string> = new Set([
  'S',
  'R',
  'B',
  'P',
  'T',
  'M',
  'E',
  'F',
  'V',
  'C',
  'D',
  'H',
  'I',
  'J',
  'K',
  'device',
  'client',
  'delete_device',
  'delete_client',
  'authorization_key',
  'logged_as',
  'this_device',
]);
