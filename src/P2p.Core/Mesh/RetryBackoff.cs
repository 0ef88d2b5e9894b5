using System.Security.Cryptography;

namespace P2p.Core.Mesh;

/// <summary>Exponential back-off with jitter for reconnection attempts.</summary>
internal static class RetryBackoff
{
    /// <summary>The delay before the retry that follows the <paramref name="failures"/>-th consecutive failure (1-based).</summary>
    public static TimeSpan Delay(int failures, P2pOptions options)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var ticks = Math.Min(options.RetryInitialDelay.Ticks * Math.Pow(2, exponent), options.RetryMaxDelay.Ticks);
        var spread = options.RetryJitter * ((RandomNumberGenerator.GetInt32(0, 2001) / 1000.0) - 1.0);
        return TimeSpan.FromTicks((long)Math.Max(0, ticks * (1 + spread)));
    }
}
