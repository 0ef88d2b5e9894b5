using System.Net;

namespace P2p.WebRtc.Turn;

/// <summary>A permission for one peer IP address (RFC 8656 §9): the server relays only from and to addresses that have one.</summary>
internal sealed class TurnPermission(IPAddress address)
{
    public IPAddress Address { get; } = address;

    /// <summary>The server confirmed it.</summary>
    public bool Installed { get; set; }

    /// <summary>A CreatePermission is outstanding.</summary>
    public bool Pending { get; set; }

    /// <summary>When to refresh it.</summary>
    public TimeSpan RefreshAt { get; set; } = TimeSpan.MaxValue;
}
