/**
 * Command return codes (`include/status.h` DEVDEM_*), docs/rts2-wire.md §2. A return line is the code with an
 * explicit sign (`+0`, `+1`, `-2`) and free text.
 */
export const DEVDEM_OK = 0;
export const DEVDEM_I_QUED = 1;
export const DEVDEM_E_COMMAND = -1;
export const DEVDEM_E_PARAMSNUM = -2;
export const DEVDEM_E_PARAMSVAL = -3;
export const DEVDEM_E_HW = -4;
export const DEVDEM_E_SYSTEM = -5;

/** A command's answer before it is written: code and text. */
export interface CommandReturn {
  readonly code: number;
  readonly text: string;
}

export const ok = (text = 'OK'): CommandReturn => ({ code: DEVDEM_OK, text });

// The texts below are RTS2's own (`Connection::command`, `Connection::processLine`), misspelling included,
// because scripts and logs grep for them.
export const unknownCommand = (word: string): CommandReturn => ({
  code: DEVDEM_E_COMMAND,
  text: `unknow command ${word}`,
});
export const badParameters = (word: string): CommandReturn => ({
  code: DEVDEM_E_PARAMSNUM,
  text: `invalid parameters/invalid number of parameters - ${word}`,
});
export const badValues = (word: string): CommandReturn => ({
  code: DEVDEM_E_PARAMSVAL,
  text: `invalid parameter values for command ${word}`,
});
export const systemError = (text: string): CommandReturn => ({ code: DEVDEM_E_SYSTEM, text });
