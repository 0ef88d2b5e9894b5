using System.Threading.RateLimiting;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>A connection's relay rate limit: a token bucket (<see cref="SignalingServerOptions.MaxRelaysPerSecond"/>, <see cref="SignalingServerOptions.RelayBurst"/>) refilled by the hub's timer.</summary>
internal sealed partial class SignalingConnection
{
    private TokenBucketRateLimiter? _relayLimiter;

    /// <summary>The bucket, made on first use (a connection that never relays needs none); the read loop is its only creator.</summary>
    private TokenBucketRateLimiter RelayLimiter => _relayLimiter ??= CreateRelayLimiter();

    /// <summary>Takes one token for a relay; when the bucket is empty, answers <c>-32041</c> and returns <see langword="false"/> (the relay is not forwarded).</summary>
    /// <remarks>A granted lease is a cached instance: nothing is allocated on the way through.</remarks>
    private bool TryAcquireRelay(in RequestId id)
    {
        using (var lease = RelayLimiter.AttemptAcquire())
        {
            if (lease.IsAcquired)
            {
                return true;
            }
        }

        Reject(id, SignalingErrorCode.RateLimited, $"Rate limited: at most {_options.MaxRelaysPerSecond} relays per second (bursts of {_options.RelayBurst}) per connection; retry later.");
        return false;
    }

    /// <summary>Adds one period's tokens (called by the hub every <see cref="SignalingHub.RelayRefillPeriod"/>).</summary>
    public void RefillRelays() => Volatile.Read(ref _relayLimiter)?.TryReplenish();

    private TokenBucketRateLimiter CreateRelayLimiter()
    {
        var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.RelayBurst,
            TokensPerPeriod = Math.Max(1, _options.MaxRelaysPerSecond / 10),
            ReplenishmentPeriod = SignalingHub.RelayRefillPeriod,
            AutoReplenishment = false,
            QueueLimit = 0,
        });
        Volatile.Write(ref _relayLimiter, limiter);
        return limiter;
    }
}
