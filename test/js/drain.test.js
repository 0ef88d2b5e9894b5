// @ts-check
// Messenger.drained(): what a leaving browser member waits for before it tells the server (docs/browser-client.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Messenger } from "../../src/P2p.Signaling.Server/wwwroot/p2p/messenger.js";

/** A stand-in for RTCDataChannel: bufferedAmount the test sets, and the bufferedamountlow/close events. */
class FakeChannel extends EventTarget {
  constructor() {
    super();
    /** @type {RTCDataChannelState} */
    this.readyState = "open";
    this.bufferedAmount = 0;
    this.bufferedAmountLowThreshold = 0;
  }

  /** The browser's rule: bufferedamountlow when the amount falls to the threshold or below. @param {number} amount */
  drainTo(amount) {
    const before = this.bufferedAmount;
    this.bufferedAmount = amount;
    if (before > this.bufferedAmountLowThreshold && amount <= this.bufferedAmountLowThreshold) this.dispatchEvent(new Event("bufferedamountlow"));
  }
}

function messenger(/** @type {FakeChannel} */ channel) {
  const group = /** @type {any} */ ({ options: { maxMessageSize: 1 << 20 } });
  const link = /** @type {any} */ ({ member: { id: "m" } });
  return new Messenger(group, link, /** @type {any} */ (channel), 16384, 65536);
}

/** Whether the promise settled within one turn of the event loop. @param {Promise<void>} p */
async function settled(p) {
  let done = false;
  p.then(() => { done = true; });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

test("drained resolves at once when nothing is buffered or the channel is not open", async () => {
  const channel = new FakeChannel();
  assert.equal(await settled(messenger(channel).drained()), true);
  const closing = new FakeChannel();
  closing.readyState = "closing";
  closing.bufferedAmount = 5000;
  assert.equal(await settled(messenger(closing).drained()), true);
});

test("drained waits until bufferedAmount reaches 0, not just the low-water mark", async () => {
  const channel = new FakeChannel();
  const m = messenger(channel);
  channel.bufferedAmount = 2_000_000;
  const drained = m.drained();
  assert.equal(channel.bufferedAmountLowThreshold, 0, "the low-water mark is lowered to 0");
  channel.drainTo(100_000);
  assert.equal(await settled(drained), false, "100 000 bytes are still buffered");
  channel.drainTo(0);
  assert.equal(await settled(drained), true);
});

test("drained resolves when the channel closes with data still buffered", async () => {
  const channel = new FakeChannel();
  const m = messenger(channel);
  channel.bufferedAmount = 10_000;
  const drained = m.drained();
  channel.readyState = "closed";
  channel.dispatchEvent(new Event("close"));
  assert.equal(await settled(drained), true);
});
