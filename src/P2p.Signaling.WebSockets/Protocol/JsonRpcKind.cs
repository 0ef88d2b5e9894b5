namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>What a received message is (JSON-RPC 2.0 sections 4 and 5).</summary>
internal enum JsonRpcKind : byte
{
    /// <summary>Has a <c>method</c> and an <c>id</c>: expects a response.</summary>
    Request,

    /// <summary>Has a <c>method</c> and no <c>id</c>: gets no response.</summary>
    Notification,

    /// <summary>Has <c>result</c> or <c>error</c> as a key (whatever its value, <c>null</c> and <c>false</c> included).</summary>
    Response,
}
