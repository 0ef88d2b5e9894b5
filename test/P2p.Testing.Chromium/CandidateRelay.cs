using System.Text.Json;

namespace P2p.Testing.Chromium;

/// <summary>Moves trickled candidates between peers, keeping only 127.0.0.1 ones (tests send to loopback only).</summary>
public static class CandidateRelay
{
    /// <summary>True when an RTCIceCandidateInit JSON carries a UDP candidate on 127.0.0.1.</summary>
    public static bool IsLoopbackUdp(string candidateJson)
    {
        using var doc = JsonDocument.Parse(candidateJson);
        var line = doc.RootElement.GetProperty("candidate").GetString() ?? string.Empty;
        var fields = line.Split(' ');
        return fields.Length > 5 && fields[2].Equals("udp", StringComparison.OrdinalIgnoreCase) && fields[4] == "127.0.0.1";
    }

    /// <summary>Forwards every loopback candidate of <paramref name="from"/> (or those <paramref name="filter"/> accepts) to <paramref name="deliver"/> until end-of-candidates.</summary>
    public static async Task PumpAsync(BrowserPeer from, Func<string, Task> deliver, CancellationToken cancellationToken, Func<string, bool>? filter = null)
    {
        filter ??= IsLoopbackUdp;
        await foreach (var json in from.LocalCandidates.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (json is null)
            {
                return;
            }

            if (filter(json))
            {
                await deliver(json).ConfigureAwait(false);
            }
        }
    }
}
