// @ts-check
/**
 * Small helpers shared by the other modules: payload conversion, deferred promises, a semaphore, the logger.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/util
 */
export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
export const EMPTY = new Uint8Array(0);
/**
 * @typedef {Uint8Array|ArrayBuffer|ArrayBufferView|string} Payload
 * Application data: bytes, or a string (sent as UTF-8).
 */

/**
 * The bytes of a payload (no copy for bytes).
 * @param {Payload} data
 * @returns {Uint8Array}
 */
export function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === "string") return encoder.encode(data);
  throw new TypeError("A payload is a Uint8Array, an ArrayBuffer, an ArrayBufferView or a string.");
}

/**
 * Decodes UTF-8 bytes (a received message) as text.
 * @param {Uint8Array|ArrayBuffer} bytes
 */
export function toText(bytes) {
  return decoder.decode(bytes);
}

/** A promise with its resolve and reject; never reported as an unhandled rejection. */
export class Deferred {
  constructor() {
    /** @type {(value?: any) => void} */
    this.resolve = () => {};
    /** @type {(reason?: any) => void} */
    this.reject = () => {};
    /** @type {Promise<any>} */
    this.promise = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
    this.promise.catch(() => {});
  }
}

/**
 * Waits for `promise`, or rejects with the signal's reason when it aborts first.
 * @template T
 * @param {Promise<T>} promise
 * @param {AbortSignal|undefined|null} signal
 * @returns {Promise<T>}
 */
export function abortable(promise, signal) {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener("abort", onAbort); resolve(value); },
      (error) => { signal.removeEventListener("abort", onAbort); reject(error); });
  });
}

/** A counting semaphore with a FIFO queue of waiters. */
export class Semaphore {
  /** @param {number} count */
  constructor(count) {
    this._count = count;
    /** @type {{resolve: () => void, reject: (e: any) => void}[]} */
    this._waiters = [];
  }

  /** @param {AbortSignal|null} [signal] */
  acquire(signal) {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this._count > 0) {
      this._count--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => { signal?.removeEventListener("abort", onAbort); resolve(undefined); },
        reject,
      };
      const onAbort = () => {
        const i = this._waiters.indexOf(waiter);
        if (i >= 0) this._waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this._waiters.push(waiter);
    });
  }

  release() {
    const next = this._waiters.shift();
    if (next) next.resolve();
    else this._count++;
  }
}

/** @param {number} ms */
export function formatDuration(ms) {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** @param {unknown} error */
export function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** @param {string} message */
export function timeoutError(message) {
  const error = new Error(message);
  error.name = "TimeoutError";
  return error;
}

/** @param {string} text */
export function truncate(text) {
  return text.length <= 200 ? text : text.slice(0, 200) + "…";
}

/**
 * @typedef {object} Logger
 * @property {(...args: any[]) => void} debug
 * @property {(...args: any[]) => void} info
 * @property {(...args: any[]) => void} warn
 * @property {(...args: any[]) => void} error
 */

/** The default logger: warnings and errors to the console, nothing else. @type {Logger} */
export const defaultLogger = Object.freeze({
  debug() {},
  info() {},
  warn: (...args) => console.warn("[p2p]", ...args),
  error: (...args) => console.error("[p2p]", ...args),
});
