namespace P2p.Signaling.Server;

/// <summary>The hub's part of the relay rate limit: one timer that refills every connection's token bucket.</summary>
internal sealed partial class SignalingHub
{
    /// <summary>How often relay tokens are added (<see cref="SignalingServerOptions.MaxRelaysPerSecond"/> / 10 each time).</summary>
    public static readonly TimeSpan RelayRefillPeriod = TimeSpan.FromMilliseconds(100);

    private readonly ITimer _relayRefillTimer;

    /// <summary>Starts the refill timer on the hub's clock (so tests drive it in virtual time).</summary>
    private ITimer StartRelayRefill() =>
        Time.CreateTimer(static s => ((SignalingHub)s!).RefillRelays(), this, RelayRefillPeriod, RelayRefillPeriod);

    private void RefillRelays()
    {
        foreach (var connection in _connections.Values)
        {
            connection.RefillRelays();
        }
    }
}
