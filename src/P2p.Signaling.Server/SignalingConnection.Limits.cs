using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>A connection's relay rate limit (<see cref="SignalingServerOptions.MaxRelaysPerSecond"/>, <see cref="SignalingServerOptions.RelayBurst"/>): a <see cref="RelayTokenBucket"/> refilled by the hub's timer.</summary>
internal sealed partial class SignalingConnection
{
    private RelayTokenBucket? _relayTokens;

    /// <summary>The bucket, made on first use (a connection that never relays needs none); the read loop is its only creator.</summary>
    private RelayTokenBucket RelayTokens
    {
        get
        {
            if (_relayTokens is { } bucket)
            {
                return bucket;
            }

            bucket = new RelayTokenBucket(_options.RelayBurst, Math.Max(1, _options.MaxRelaysPerSecond / 10));
            Volatile.Write(ref _relayTokens, bucket);
            return bucket;
        }
    }

    /// <summary>Takes one token for a relay; when there is none, answers <c>-32041</c> and returns <see langword="false"/> (the relay is not forwarded).</summary>
    private bool TryAcquireRelay(in RequestId id)
    {
        using var lease = RelayTokens.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return true;
        }

        Reject(id, SignalingErrorCode.RateLimited, $"Rate limited: at most {_options.MaxRelaysPerSecond} relays per second (bursts of {_options.RelayBurst}) per connection; retry later.");
        return false;
    }

    /// <summary>Adds one period's tokens (called by the hub every <see cref="SignalingHub.RelayRefillPeriod"/>).</summary>
    public void RefillRelays() => Volatile.Read(ref _relayTokens)?.Refill();
}
