// Issue 19 (docs/limits.md): what a peer's frames make the browser client hold is bounded by the bytes it sent, not by
// the lengths its headers announce, and the table of partly received messages has a fixed size whatever the messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameKind, ReassemblyStatus, FRAME_HEADER_SIZE, writeFrameHeader, MessageReassembler } from "../../src/P2p.Signaling.Server/wwwroot/p2p.js";
import { FragmentBuffer, FRAGMENT_BUFFER_INITIAL_CAPACITY } from "../../src/P2p.Signaling.Server/wwwroot/p2p/framing.js";
import { RouteState, MAX_REMEMBERED_SEQS } from "../../src/P2p.Signaling.Server/wwwroot/p2p/routing.js";

const SIXTEEN_MIB = 16 * 1024 * 1024;

/** One frame with the given header fields and fragment. */
function frame(/** @type {number} */ kind, /** @type {boolean} */ final, /** @type {number} */ messageId, /** @type {number} */ totalLength, /** @type {Uint8Array} */ fragment) {
  const f = new Uint8Array(FRAME_HEADER_SIZE + fragment.length);
  writeFrameHeader(f, { kind, final, messageId, totalLength });
  f.set(fragment, FRAME_HEADER_SIZE);
  return f;
}

test("a first fragment announcing 16 MiB reserves no more than the initial capacity", () => {
  const buffer = new FragmentBuffer(SIXTEEN_MIB);
  assert.ok(buffer.append(new Uint8Array([1, 2, 3, 4])));
  assert.equal(buffer.capacity, FRAGMENT_BUFFER_INITIAL_CAPACITY);
});

test("a fragment buffer grows with the bytes received, refuses bytes beyond its length, and ends exactly the message", () => {
  const total = 3 * FRAGMENT_BUFFER_INITIAL_CAPACITY + 5;
  const buffer = new FragmentBuffer(total);
  let sent = 0;
  while (sent < total) {
    const n = Math.min(1000, total - sent);
    assert.ok(buffer.append(new Uint8Array(n).fill(Math.floor(sent / 1000) & 0xff)));
    sent += n;
    assert.ok(buffer.capacity <= Math.max(FRAGMENT_BUFFER_INITIAL_CAPACITY, 2 * sent));
  }
  assert.equal(buffer.append(new Uint8Array([1])), false, "a byte beyond the announced length");
  const message = buffer.toMessage();
  assert.equal(message.length, total);
  assert.equal(message[123_456], 123);
});

test("a large message in many frames reassembles intact", () => {
  const message = new Uint8Array(5 * FRAGMENT_BUFFER_INITIAL_CAPACITY + 17).map((_, i) => (i * 31) & 0xff);
  const reassembler = new MessageReassembler(message.length);
  let result = null;
  for (let offset = 0; offset < message.length; offset += 1200) {
    const end = Math.min(offset + 1200, message.length);
    result = reassembler.add(frame(FrameKind.Request, end === message.length, 9, message.length, message.subarray(offset, end)));
  }
  assert.equal(result?.status, ReassemblyStatus.Complete);
  assert.deepEqual(result?.message, message);
});

test("over-large messages count against the partial-message limit and are still refused at their final fragment", () => {
  const reassembler = new MessageReassembler(100, 2);
  for (let id = 1; id <= 1000; id++) {
    assert.equal(reassembler.add(frame(FrameKind.Broadcast, false, id, 1000, new Uint8Array([1]))).status, ReassemblyStatus.TooLarge);
  }
  assert.equal(reassembler._partials.size, 2);
  const last = reassembler.add(frame(FrameKind.Request, true, 500, 1000, new Uint8Array([1])));
  assert.equal(last.status, ReassemblyStatus.TooLarge);
  assert.equal(last.header?.final, true);
});

test("the relayed seqs remembered per origin are bounded even when the sender skips seqs", () => {
  const state = new RouteState("origin");
  for (let seq = 2; seq <= 2 * (MAX_REMEMBERED_SEQS + 100); seq += 2) state.markDelivered(seq);
  assert.ok(state.deliveredAbove.size <= MAX_REMEMBERED_SEQS);
  assert.ok(state.wasDelivered(2 * (MAX_REMEMBERED_SEQS + 100)), "the newest is remembered");
  assert.ok(state.wasDelivered(2), "an old one is too (forgotten gaps count as delivered)");
  assert.equal(state.wasDelivered(2 * (MAX_REMEMBERED_SEQS + 101)), false);
});
