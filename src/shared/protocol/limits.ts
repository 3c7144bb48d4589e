// Limits of the client and admin protocols. The first three are SPEC; the rest bound what a
// single admin request may ask of a node.

export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1024 * 1024;
/** One JSON text frame on `/client` or `/admin`, in UTF-8 bytes. */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

export const MAX_URL_LENGTH = 2048;
/** Longest message delay (and jitter) a fault may inject. */
export const MAX_FAULT_DELAY_MS = 60_000;
/** Most member ids one drop list may name. */
export const MAX_FAULT_PEERS = 256;
/** Longest `pause`. */
export const MAX_PAUSE_MS = 300_000;
