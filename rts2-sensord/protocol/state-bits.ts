/**
 * Bits of a device state word (`include/status.h`), docs/rts2-wire.md §6. A sensor uses only the error
 * bits; the weather, stop and block-operation bits make centrald close or freeze the observatory and
 * are set only when a site explicitly asks for it (`--observatory-veto`).
 */
export const DEVICE_ERROR_HW = 0x00020000;
export const DEVICE_NOT_READY = 0x00040000;
export const DEVICE_ERROR_MASK = 0x000f0000;
export const WR_MASK = 0x00f00000;
export const BOP_MASK = 0x3f000000;
export const STOP_EVERYTHING = 0x40000000;
export const BAD_WEATHER = 0x80000000;

/** Bits that act on other devices or on the observatory; never set without `--observatory-veto`. */
export const OBSERVATORY_BITS = (WR_MASK | BOP_MASK | STOP_EVERYTHING | BAD_WEATHER) >>> 0;

/** `DEVICE_TYPE_SENSOR`, the type sent in `register`. */
export const DEVICE_TYPE_SENSOR = 15;

/** Message types of `M` lines (`include/message.h`), docs/rts2-wire.md §7. */
export const MESSAGE_TYPE = { error: 1, warning: 2, info: 4, debug: 8, critical: 16 } as const;
export type MessageType = keyof typeof MESSAGE_TYPE;
