using System.Globalization;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>A connection's <c>get_ice_servers</c> (an extension of the seed's protocol; docs/protocol.md).</summary>
internal sealed partial class SignalingConnection
{
    /// <summary>
    /// Answers with the configured STUN/TURN servers, TURN REST credentials made for this member; an empty array when
    /// none are configured, so a client can always ask. Neither the secret nor the credentials are logged.
    /// </summary>
    private ValueTask OnGetIceServers(in JsonRpcFrame frame)
    {
        if (frame.ParamCount != 0)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: get_ice_servers takes [].");
            return default;
        }

        var servers = _hub.IceServers.Issue(_userId!, out var expiry);
        Log.IceServersIssued(_hub.Logger, _id, _userId!, servers.Count, expiry is { } e ? " valid until " + e.ToString("u", CultureInfo.InvariantCulture) : "");
        Reply(frame.Id, static (id, s) => JsonRpcWriter.IceServersResult(id, s), servers);
        return default;
    }
}
