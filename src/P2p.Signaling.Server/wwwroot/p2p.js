// @ts-check
/**
 * P2p browser client: a full member of P2p groups, over the browser's own RTCPeerConnection.
 *
 * It speaks the signaling protocol (JSON-RPC 2.0 over a WebSocket) and the group message framing of
 * docs/protocol.md, exactly as P2p.Core (.NET) does, so browser pages and .NET members can share a group.
 * Plain modern JavaScript (ES modules with JSDoc types, checked by `tsc`), no build step, no dependencies. This entry
 * re-exports the public names of the modules under `p2p/` (one per concern, see docs/browser-client.md, "Modules").
 *
 * ```js
 * import { P2pService, GroupCapability } from "/p2p.js";
 * const service = await P2pService.connect();            // the signaling endpoint this module came from
 * const group = await service.createGroup(GroupCapability.All, {
 *   messageHandler: (from, data) => console.log(from.id, new TextDecoder().decode(data)),
 *   requestHandler: async (from, data) => data,           // echo
 * });
 * await group.broadcast("hello");
 * ```
 *
 * Guide and API: docs/browser-client.md.
 * @module p2p
 */

// The modules under p2p/, by concern; this entry re-exports their public names (the same as when the client was one file).
export { GroupCapability, PeerState, mayBroadcast, mayUnicast } from "./p2p/codes.js";
export { GroupErrorCode, IdentityFailureReason, SignalingErrorCode, GroupError, SignalingError } from "./p2p/errors.js";
export { toBytes, toText, defaultLogger } from "./p2p/util.js";
export { FrameKind, ReassemblyStatus, FRAME_HEADER_SIZE, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_FRAME_SIZE, writeFrameHeader, readFrameHeader, frameCount, encodeFrame, encodeFrames, MessageReassembler, encodeErrorPayload, decodeErrorPayload } from "./p2p/framing.js";
export { defaultSignalingUrl, turnRestExpiry, SignalingMemberEvent, SignalingClosedEvent, SignalingReconnectingEvent, SignalingChannel } from "./p2p/signaling.js";
export { MAX_IDENTITY_NAME_BYTES, identityKeyId, P2pIdentity, identityTranscript, sdpFingerprint, encodeIdentityPayload, decodeIdentityPayload, encodeIdentityFrame, identityFramePayload, signIdentityPayload, verifyIdentityPayload, MemoryTrustStore, LocalStorageTrustStore, TrustPolicy } from "./p2p/identity.js";
export { Member, MemberEvent, MemberStateChangedEvent } from "./p2p/member.js";
export { RouteFrameType, UnreachableReason, MAX_ROUTE_FRAME_SIZE, encodeRouteFrame, decodeRouteFrame, routedDataTranscript, routedAckTranscript, routedIdentityTranscript } from "./p2p/route-frame.js";
export { Group } from "./p2p/group.js";
export { P2pService } from "./p2p/service.js";

// Their types, for JSDoc and TypeScript users: `import("/p2p.js").GroupOptions` and the rest.
/** @typedef {import("./p2p/util.js").Payload} Payload */
/** @typedef {import("./p2p/util.js").Logger} Logger */
/** @typedef {import("./p2p/framing.js").FrameHeader} FrameHeader */
/** @typedef {import("./p2p/signaling.js").GroupInfo} GroupInfo */
/** @typedef {import("./p2p/signaling.js").RelayRequest} RelayRequest */
/** @typedef {import("./p2p/signaling.js").SignalingChannelOptions} SignalingChannelOptions */
/** @typedef {import("./p2p/signaling.js").AccessToken} AccessToken */
/** @typedef {import("./p2p/identity.js").IdentityTranscriptFields} IdentityTranscriptFields */
/** @typedef {import("./p2p/identity.js").VerifiedIdentity} VerifiedIdentity */
/** @typedef {import("./p2p/identity.js").IdentityClaim} IdentityClaim */
/** @typedef {import("./p2p/identity.js").TrustStore} TrustStore */
/** @typedef {import("./p2p/identity.js").IdentityOptions} IdentityOptions */
/** @typedef {import("./p2p/identity.js").ResolvedIdentity} ResolvedIdentity */
/** @typedef {import("./p2p/route-frame.js").RouteFrame} RouteFrame */
/** @typedef {import("./p2p/routing.js").RelayingOptions} RelayingOptions */
/** @typedef {import("./p2p/routing.js").OutgoingMessage} OutgoingMessage */
/** @typedef {import("./p2p/group.js").MessageHandler} MessageHandler */
/** @typedef {import("./p2p/group.js").RequestHandler} RequestHandler */
/** @typedef {import("./p2p/group.js").GroupOptions} GroupOptions */
/** @typedef {import("./p2p/group.js").BroadcastFailure} BroadcastFailure */
/** @typedef {import("./p2p/group.js").BroadcastResult} BroadcastResult */
/** @typedef {import("./p2p/service.js").P2pOptions} P2pOptions */
