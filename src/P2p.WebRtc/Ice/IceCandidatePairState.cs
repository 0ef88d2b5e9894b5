namespace P2p.WebRtc.Ice;

/// <summary>The state of a candidate pair in the check list (RFC 8445 §6.1.2.6).</summary>
public enum IceCandidatePairState
{
    /// <summary>Not checked until another pair of the same foundation succeeds or nothing else waits.</summary>
    Frozen,

    /// <summary>To be checked when the pacing timer next allows.</summary>
    Waiting,

    /// <summary>A check was sent and no response has come yet.</summary>
    InProgress,

    /// <summary>A check succeeded: the pair is valid.</summary>
    Succeeded,

    /// <summary>The check failed or timed out.</summary>
    Failed,
}
