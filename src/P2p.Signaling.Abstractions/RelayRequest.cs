using System.Text.Json;

namespace P2p.Signaling.Abstractions;

/// <summary>A relay that another member of a group sent to this user.</summary>
/// <param name="GroupId">The group the relay was sent in.</param>
/// <param name="FromUserId">The sender, as stamped by the server (never chosen by the sender).</param>
/// <param name="Data">The sender's JSON value, untouched; it owns its memory and outlives the call.</param>
public sealed record RelayRequest(string GroupId, string FromUserId, JsonElement Data);
