// The browser client's framing against the .NET side's vectors (test/P2p.Core.Tests/Framing/FramingTests.cs,
// test/P2p.Interop.Tests/BrowserClient/FramingCompatibilityTests.cs): the same bytes, the same verdicts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FrameKind, ReassemblyStatus, FRAME_HEADER_SIZE, writeFrameHeader, readFrameHeader, frameCount, encodeFrame, encodeFrames,
  MessageReassembler, encodeErrorPayload, decodeErrorPayload, GroupErrorCode,
} from "../../src/P2p.Signaling.Server/wwwroot/p2p.js";

const bytes = (/** @type {number[]} */ ...b) => new Uint8Array(b);
const utf8 = (/** @type {string} */ s) => new TextEncoder().encode(s);
const concat = (/** @type {Uint8Array[]} */ ...parts) => {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return all;
};

/** The frames of a message, as FramingTests.Frames makes them. */
function frames(/** @type {number} */ kind, /** @type {number} */ id, /** @type {Uint8Array} */ message, /** @type {number} */ maxFrame) {
  const result = [];
  for (let i = 0; i < frameCount(message.length, maxFrame); i++) {
    const frame = encodeFrame(kind, id, message, i, maxFrame);
    assert.ok(frame.length <= maxFrame);
    result.push(frame);
  }
  return result;
}

test("the header has the documented layout (Header_has_the_documented_layout)", () => {
  const target = new Uint8Array(FRAME_HEADER_SIZE);
  writeFrameHeader(target, { kind: FrameKind.Reply, final: true, messageId: 0x01020304, totalLength: 0x0a0b0c0d });
  assert.deepEqual(target, bytes(0x13, 0x01, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d));
  assert.deepEqual(readFrameHeader(target), { kind: FrameKind.Reply, final: true, messageId: 0x01020304, totalLength: 0x0a0b0c0d });
});

test("bad headers are refused (Rejects_bad_headers)", () => {
  for (const [name, frame] of /** @type {[string, Uint8Array][]} */ ([
    ["another version", bytes(0x21, 0x01, 0, 0, 0, 0, 0, 0, 0, 0)],
    ["an unknown kind", bytes(0x15, 0x01, 0, 0, 0, 0, 0, 0, 0, 0)],
    ["kind zero", bytes(0x10, 0x01, 0, 0, 0, 0, 0, 0, 0, 0)],
    ["unknown flags", bytes(0x11, 0x03, 0, 0, 0, 0, 0, 0, 0, 0)],
    ["a truncated header", bytes(0x11, 0x01, 0, 0, 0, 0, 0, 0, 0)],
  ])) {
    assert.equal(readFrameHeader(frame), null, name);
  }
});

test("an empty message is one frame (An_empty_message_is_one_frame)", () => {
  assert.equal(frameCount(0, 100), 1);
  const frame = encodeFrame(FrameKind.Broadcast, 7, new Uint8Array(0), 0, 100);
  assert.deepEqual(frame, bytes(0x11, 0x01, 0, 0, 0, 7, 0, 0, 0, 0));
  const result = new MessageReassembler(1000).add(frame);
  assert.equal(result.status, ReassemblyStatus.Complete);
  assert.equal(result.header?.messageId, 7);
  assert.equal(result.message?.length, 0);
});

test("fragmentation lays out every frame as P2p.Core's MessageFragmenter", () => {
  // 25 bytes in frames of at most 20 (10 of header + 10 of data): 3 frames, the last one final.
  const message = Uint8Array.from({ length: 25 }, (_, i) => i);
  const all = encodeFrames(FrameKind.Request, 0x0102, message, 20);
  assert.equal(all.length, 3);
  assert.deepEqual(all[0], concat(bytes(0x12, 0x00, 0, 0, 1, 2, 0, 0, 0, 25), message.subarray(0, 10)));
  assert.deepEqual(all[1], concat(bytes(0x12, 0x00, 0, 0, 1, 2, 0, 0, 0, 25), message.subarray(10, 20)));
  assert.deepEqual(all[2], concat(bytes(0x12, 0x01, 0, 0, 1, 2, 0, 0, 0, 25), message.subarray(20)));
  assert.throws(() => frameCount(10, FRAME_HEADER_SIZE), RangeError, "Frame_size_must_exceed_the_header");
});

test("interleaved messages reassemble intact (Interleaved_messages_reassemble_intact)", () => {
  for (const [lengthA, lengthB, room] of [[0, 0, 1], [1, 100, 3], [200, 7, 64], [63, 64, 11]]) {
    const first = Uint8Array.from({ length: lengthA }, (_, i) => (i * 7) & 0xff);
    const second = Uint8Array.from({ length: lengthB }, (_, i) => (i * 13 + 1) & 0xff);
    const maxFrame = FRAME_HEADER_SIZE + room;
    const a = frames(FrameKind.Broadcast, 1, first, maxFrame);
    const b = frames(FrameKind.Request, 1, second, maxFrame); // the same id, another kind: no collision
    const reassembler = new MessageReassembler(1 << 20);
    /** @type {Map<number, Uint8Array>} */
    const done = new Map();
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      for (const list of [a, b]) {
        if (i >= list.length) continue;
        const result = reassembler.add(list[i]);
        if (result.status === ReassemblyStatus.Complete) done.set(/** @type {number} */ (result.header?.kind), /** @type {Uint8Array} */ (result.message));
      }
    }
    assert.deepEqual(done.get(FrameKind.Broadcast), first);
    assert.deepEqual(done.get(FrameKind.Request), second);
  }
});

test("an over-large message is refused with all its fragments, and the channel keeps working", () => {
  const reassembler = new MessageReassembler(999);
  for (const frame of frames(FrameKind.Broadcast, 9, new Uint8Array(1000), 110)) {
    assert.equal(reassembler.add(frame).status, ReassemblyStatus.TooLarge);
  }
  const small = reassembler.add(frames(FrameKind.Broadcast, 10, bytes(1, 2, 3), 110)[0]);
  assert.equal(small.status, ReassemblyStatus.Complete);
  assert.deepEqual(small.message, bytes(1, 2, 3));
});

test("malformed fragment sequences (overrun, early final, inconsistent totals) and the partial-message bound", () => {
  let reassembler = new MessageReassembler(1000);
  const fifty = frames(FrameKind.Broadcast, 1, new Uint8Array(50), 30);
  assert.equal(reassembler.add(fifty[0]).status, ReassemblyStatus.Incomplete);
  assert.equal(reassembler.add(fifty[1]).status, ReassemblyStatus.Incomplete);
  assert.equal(reassembler.add(fifty[1]).status, ReassemblyStatus.Malformed, "a repeated fragment overruns the total");

  reassembler = new MessageReassembler(1000);
  reassembler.add(fifty[0]);
  assert.equal(reassembler.add(fifty[fifty.length - 1]).status, ReassemblyStatus.Malformed, "a final fragment before the total");

  reassembler = new MessageReassembler(1000);
  reassembler.add(fifty[0]);
  assert.equal(reassembler.add(frames(FrameKind.Broadcast, 1, new Uint8Array(60), 30)[1]).status, ReassemblyStatus.Malformed, "another total length");

  reassembler = new MessageReassembler(1000, 2);
  for (const id of [0, 1]) assert.equal(reassembler.add(frames(FrameKind.Broadcast, id, new Uint8Array(50), 30)[0]).status, ReassemblyStatus.Incomplete);
  assert.equal(reassembler.add(frames(FrameKind.Broadcast, 2, new Uint8Array(50), 30)[0]).status, ReassemblyStatus.TooManyPartialMessages);
});

test("error payloads: a code and UTF-8 cut at a character boundary within 1024 bytes", () => {
  assert.deepEqual(encodeErrorPayload(2, "no coffee ☕"), concat(bytes(0, 2), utf8("no coffee ☕")));
  // "a" then 600 two-byte characters: 1201 bytes; a cut at 1024 would split a character, so 1023 bytes stay.
  assert.deepEqual(encodeErrorPayload(4, "a" + "é".repeat(600)), concat(bytes(0, 4), utf8("a" + "é".repeat(511))));
  assert.deepEqual(decodeErrorPayload(concat(bytes(0, 3), utf8("forbidden ✋"))), { code: 3, message: "forbidden ✋" });
  assert.equal(decodeErrorPayload(bytes(7)).code, GroupErrorCode.HandlerFailed);
});
