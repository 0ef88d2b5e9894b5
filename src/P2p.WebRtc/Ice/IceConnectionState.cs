namespace P2p.WebRtc.Ice;

/// <summary>The agent's connection state, modelled on the browser's <c>RTCIceConnectionState</c>.</summary>
public enum IceConnectionState
{
    /// <summary>Nothing checked yet.</summary>
    New,

    /// <summary>Connectivity checks are running; no pair is selected yet.</summary>
    Checking,

    /// <summary>A nominated pair is selected and data can flow.</summary>
    Connected,

    /// <summary>Connected, and checking is over: both sides' candidates are complete and no check is pending.</summary>
    Completed,

    /// <summary>Every pair failed, or consent to send expired (RFC 7675). Terminal.</summary>
    Failed,

    /// <summary>Consent responses have stopped arriving for a while; the agent keeps trying until consent expires.</summary>
    Disconnected,

    /// <summary>The agent was disposed. Terminal.</summary>
    Closed,
}
