// Identity transcripts and frames, and route frames, against the .NET side's vectors
// (test/P2p.Core.Tests/Identity/IdentityHandshakeTests.cs, test/P2p.Interop.Tests/BrowserClient/BrowserClientIdentityTests.cs,
// test/P2p.Core.Tests/Routing/RouteFrameTests.cs, src/P2p.Core/Routing/RouteSignatures.cs).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  identityTranscript, encodeIdentityPayload, decodeIdentityPayload, encodeIdentityFrame, identityFramePayload, sdpFingerprint,
  identityKeyId, P2pIdentity, signIdentityPayload, verifyIdentityPayload,
  RouteFrameType, UnreachableReason, encodeRouteFrame, decodeRouteFrame, routedDataTranscript, routedAckTranscript, routedIdentityTranscript,
  FrameKind, writeFrameHeader, FRAME_HEADER_SIZE,
} from "../../src/P2p.Signaling.Server/wwwroot/p2p.js";

const bytes = (/** @type {number[]} */ ...b) => new Uint8Array(b);
const hex = (/** @type {Uint8Array} */ b) => Buffer.from(b).toString("hex");
const utf8 = (/** @type {string} */ s) => new TextEncoder().encode(s);
const asBytes = (/** @type {string|Uint8Array} */ t) => (typeof t === "string" ? utf8(t) : t);

test("the identity transcript has the documented lines, no trailing newline", () => {
  const short = identityTranscript({ groupId: "g1", name: "alice", signerId: "u1", peerId: "u2", signerFingerprint: "sha-256 AA:BB:CC", peerFingerprint: "sha-256 11:22:33" });
  assert.deepEqual(asBytes(short), utf8("p2p-identity-v1\ngroup:g1\nname:alice\nsigner:u1\npeer:u2\nsigner-fingerprint:sha-256 AA:BB:CC\npeer-fingerprint:sha-256 11:22:33"));

  const transcript = identityTranscript({
    groupId: "0123456789abcdef0123456789abcdef", name: "Zoë", signerId: "a".repeat(32), peerId: "b".repeat(32),
    signerFingerprint: "sha-256 AB:CD:EF", peerFingerprint: "sha-256 01:23:45",
  });
  assert.equal(hex(asBytes(transcript)),
    "7032702d6964656e746974792d7631" + "0a"
    + "67726f75703a" + "3031323334353637383961626364656630313233343536373839616263646566" + "0a"
    + "6e616d653a" + "5a6fc3ab" + "0a"
    + "7369676e65723a" + "6161616161616161616161616161616161616161616161616161616161616161" + "0a"
    + "706565723a" + "6262626262626262626262626262626262626262626262626262626262626262" + "0a"
    + "7369676e65722d66696e6765727072696e743a" + "7368612d3235362041423a43443a4546" + "0a"
    + "706565722d66696e6765727072696e743a" + "7368612d3235362030313a32333a3435");
});

test("an Identity frame: header (kind 5, final, id 0), version 1, three u16-prefixed fields; and back", () => {
  const signature = Uint8Array.from({ length: 64 }, (_, i) => i);
  const payload = encodeIdentityPayload({ name: "Zoë", publicKey: bytes(0x30, 0x59, 0x01), signature });
  const frame = encodeIdentityFrame(payload);
  const payloadLength = 1 + 2 + 4 + 2 + 3 + 2 + 64;
  assert.equal(hex(frame), "15" + "01" + "00000000" + payloadLength.toString(16).padStart(8, "0")
    + "01" + "0004" + "5a6fc3ab" + "0003" + "305901" + "0040" + hex(signature));
  const framed = identityFramePayload(frame);
  assert.ok(framed !== null, "an Identity frame has a payload");
  const back = decodeIdentityPayload(framed);
  assert.equal(back.name, "Zoë");
  assert.deepEqual(back.publicKey, bytes(0x30, 0x59, 0x01));
  assert.deepEqual(back.signature, signature);

  // Malformed payloads (as the .NET side's cases): a trailing byte, version 2, a 63-byte signature, a name that is not UTF-8.
  assert.throws(() => decodeIdentityPayload(Uint8Array.from([...payload, 0])));
  assert.throws(() => decodeIdentityPayload(Uint8Array.from([2, ...payload.subarray(1)])));
  assert.throws(() => decodeIdentityPayload(encodeIdentityPayload({ name: "x", publicKey: bytes(1), signature: new Uint8Array(63) })));
  assert.throws(() => decodeIdentityPayload(bytes(1, 0, 2, 0xff, 0xfe, 0, 1, 1, 0, 64, ...new Uint8Array(64))));
});

test("the SDP fingerprint is the first a=fingerprint line, algorithm lowercased, value uppercased", () => {
  assert.equal(sdpFingerprint("v=0\r\na=fingerprint:SHA-256 ab:cd\r\na=fingerprint:sha-1 00\r\n"), "sha-256 AB:CD");
  assert.equal(sdpFingerprint(""), null);
});

test("a key id is the lowercase hex SHA-256 of the SPKI; a signed payload verifies over its transcript only", async () => {
  const key = await P2pIdentity.generate();
  assert.equal(await identityKeyId(key.spki), Buffer.from(await crypto.subtle.digest("SHA-256", new Uint8Array(key.spki))).toString("hex"));
  assert.equal(key.keyId.length, 64);
  const fields = { groupId: "g", name: "n", signerId: "s", peerId: "p", signerFingerprint: "sha-256 AA", peerFingerprint: "sha-256 BB" };
  const payload = await signIdentityPayload(key, fields);
  const verified = await verifyIdentityPayload(payload, fields);
  assert.equal(verified.keyId, key.keyId);
  await assert.rejects(verifyIdentityPayload(payload, { ...fields, peerFingerprint: "sha-256 CC" }));
});

test("a probe is laid out as documented and reads back (A_probe_is_laid_out_as_documented_and_reads_back)", () => {
  const frame = encodeRouteFrame({ type: RouteFrameType.Probe, forwarded: false, origin: "a", destination: "bc", probeId: 0x01020304, proof: bytes(9, 8) });
  assert.deepEqual(frame, bytes(0x16, 3, 0, 0, 1, 0x61, 2, 0x62, 0x63, 1, 2, 3, 4, 0, 2, 9, 8));
  const f = decodeRouteFrame(frame);
  assert.deepEqual([f.type, f.forwarded, f.origin, f.destination, f.probeId], [RouteFrameType.Probe, false, "a", "bc", 0x01020304]);
  assert.deepEqual(f.proof, bytes(9, 8));
});

test("an Unreachable frame carries its reference and reason, Forwarded in byte 2", () => {
  const frame = encodeRouteFrame({ type: RouteFrameType.Unreachable, forwarded: true, origin: "b", destination: "a", reference: 7, reason: UnreachableReason.BadSignature });
  assert.deepEqual(frame, bytes(0x16, 5, 1, 0, 1, 0x62, 1, 0x61, 0, 0, 0, 7, 4));
  const f = decodeRouteFrame(frame);
  assert.deepEqual([f.forwarded, f.reference, f.reason], [true, 7, UnreachableReason.BadSignature]);
});

test("a Data frame carries seq, offset, signature and a message frame (the layout of RouteFrameTests.Data)", () => {
  const signature = new Uint8Array(64);
  signature[0] = 0xaa;
  const inner = new Uint8Array(FRAME_HEADER_SIZE + 3);
  writeFrameHeader(inner, { kind: FrameKind.Request, final: true, messageId: 42, totalLength: 103 });
  inner.set([1, 2, 3], FRAME_HEADER_SIZE);
  const frame = encodeRouteFrame({ type: RouteFrameType.Data, forwarded: false, origin: "o", destination: "d", seq: 5, offset: 100, signature, frame: inner });
  assert.equal(hex(frame), "16010000" + "016f" + "0164" + "00000005" + "00000064" + "0040" + hex(signature) + "12010000002a00000067" + "010203");
  const f = decodeRouteFrame(frame);
  assert.deepEqual([f.seq, f.offset], [5, 100]);
  assert.deepEqual(f.signature, signature);
  assert.deepEqual(f.frame, inner);
});

test("malformed route frames are refused (A_malformed_header_is_refused_without_throwing, Bodies_that_do_not_match_their_type_are_refused)", () => {
  for (const [name, frame] of /** @type {[string, Uint8Array][]} */ ([
    ["too short", bytes(0x16, 3, 0, 0, 1)],
    ["unknown type", bytes(0x16, 9, 0, 0, 1, 0x61, 1, 0x62)],
    ["unknown flag", bytes(0x16, 3, 2, 0, 1, 0x61, 1, 0x62)],
    ["reserved byte set", bytes(0x16, 3, 0, 1, 1, 0x61, 1, 0x62)],
    ["empty origin", bytes(0x16, 3, 0, 0, 0, 1, 0x62)],
    ["destination runs past the frame", bytes(0x16, 3, 0, 0, 1, 0x61, 5, 0x62)],
    ["origin not UTF-8", bytes(0x16, 3, 0, 0, 1, 0xff, 1, 0x62)],
    ["other version", bytes(0x26, 3, 0, 0, 1, 0x61, 1, 0x62)],
  ])) {
    assert.throws(() => decodeRouteFrame(frame), Error, name);
  }
  const probe = encodeRouteFrame({ type: RouteFrameType.Probe, forwarded: false, origin: "a", destination: "b", probeId: 1, proof: bytes(1, 2) });
  assert.throws(() => decodeRouteFrame(probe.subarray(0, probe.length - 1)), Error, "a field running past the frame");
  assert.throws(() => decodeRouteFrame(Uint8Array.from([...probe, 0])), Error, "trailing bytes");
  const unreachable = encodeRouteFrame({ type: RouteFrameType.Unreachable, forwarded: false, origin: "a", destination: "b", reference: 1, reason: UnreachableReason.NoRoute });
  unreachable[unreachable.length - 1] = 9;
  assert.throws(() => decodeRouteFrame(unreachable), Error, "an unknown reason");
  const inner = new Uint8Array(FRAME_HEADER_SIZE + 3);
  writeFrameHeader(inner, { kind: FrameKind.Broadcast, final: true, messageId: 1, totalLength: 12 });
  assert.throws(() => decodeRouteFrame(encodeRouteFrame({ type: RouteFrameType.Data, forwarded: false, origin: "a", destination: "b", seq: 1, offset: 10, signature: new Uint8Array(0), frame: inner })), Error, "a fragment past the total length");
  writeFrameHeader(inner, { kind: FrameKind.Broadcast, final: true, messageId: 1, totalLength: 3 });
  inner[0] = 0x15; // an Identity frame inside
  assert.throws(() => decodeRouteFrame(encodeRouteFrame({ type: RouteFrameType.Data, forwarded: false, origin: "a", destination: "b", seq: 1, offset: 0, signature: new Uint8Array(0), frame: inner })), Error, "not a message frame inside");
  assert.throws(() => encodeRouteFrame({ type: RouteFrameType.Ack, forwarded: false, origin: "x".repeat(256), destination: "b", seq: 1, signature: new Uint8Array(0) }), RangeError);
});

test("routed transcripts are P2p.Core's RouteSignatures and IdentityHandshake texts", () => {
  assert.deepEqual(asBytes(routedDataTranscript({ groupId: "g", origin: "o", destination: "d", seq: 5, kind: FrameKind.Request, messageId: 42 })),
    utf8("p2p-routed-v1\ngroup:g\norigin:o\ndestination:d\nseq:5\nkind:2\nid:42\n"));
  assert.deepEqual(asBytes(routedAckTranscript({ groupId: "g", origin: "o", destination: "d", seq: 5 })),
    utf8("p2p-routed-ack-v1\ngroup:g\norigin:o\ndestination:d\nseq:5"));
  assert.deepEqual(asBytes(routedIdentityTranscript({ groupId: "g", name: "n", signerId: "s", peerId: "p" })),
    utf8("p2p-identity-routed-v1\ngroup:g\nname:n\nsigner:s\npeer:p"));
});
