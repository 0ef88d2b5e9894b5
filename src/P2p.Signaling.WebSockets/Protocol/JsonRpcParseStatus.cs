namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>Why a message could not be read as a JSON-RPC message.</summary>
internal enum JsonRpcParseStatus : byte
{
    Ok,

    /// <summary>Not valid JSON (-32700).</summary>
    ParseError,

    /// <summary>Valid JSON but not a valid JSON-RPC message (-32600); <see cref="JsonRpcFrame.Problem"/> says why.</summary>
    InvalidRequest,
}
