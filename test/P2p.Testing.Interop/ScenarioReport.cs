using System.Text.Json;
using System.Text.Json.Serialization;

namespace P2p.Testing.Interop;

/// <summary>The report line a scenario peer prints at the end of its run (test/interop-peers/PROTOCOL.md).</summary>
public sealed record ScenarioReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Always <c>report</c>.</summary>
    public string Type { get; init; } = "report";

    /// <summary>True when every check of the scenario passed on this side.</summary>
    public bool Ok { get; init; }

    /// <summary>The stack's name: chromium, firefox, pion, werift, aiortc, libdatachannel, p2p.</summary>
    public string Stack { get; init; } = string.Empty;

    /// <summary>The stack's version as installed.</summary>
    public string? Version { get; init; }

    /// <summary><c>offer</c> or <c>answer</c>.</summary>
    public string Role { get; init; } = string.Empty;

    /// <summary>The text message arrived as a string, intact.</summary>
    public bool? Text { get; init; }

    /// <summary>The binary message arrived as binary, intact.</summary>
    public bool? Binary { get; init; }

    /// <summary>Bulk bytes received.</summary>
    public long? BulkBytes { get; init; }

    /// <summary>From the first bulk chunk to the sender's hash line.</summary>
    public double? BulkSeconds { get; init; }

    /// <summary>The receive rate: bytes / seconds / 10^6.</summary>
    [JsonPropertyName("bulkMBps")]
    public double? BulkMBps { get; init; }

    /// <summary>The SHA-256 of the received bulk matched the sender's.</summary>
    public bool? HashOk { get; init; }

    /// <summary>Distinct messages received on the unordered channel.</summary>
    public int? Unordered { get; init; }

    /// <summary>Messages received on the partially reliable channel.</summary>
    public int? Partial { get; init; }

    /// <summary>The channels the peer announced, as this side's API reports them.</summary>
    public IReadOnlyList<AcceptedChannel>? Accepted { get; init; }

    /// <summary>
    /// False when this side's API cannot tell the options of a channel it accepted: <see cref="Accepted"/>
    /// then holds labels only (their options are not filled in). Absent (null) when the options are known.
    /// </summary>
    public bool? AcceptedOptionsKnown { get; init; }

    /// <summary>The label of the channel whose close by the peer this side observed.</summary>
    public string? CloseObserved { get; init; }

    /// <summary>
    /// The candidate pair the peer's connection used, from its own statistics (<c>getStats</c>); only browsers in the
    /// NAT lab report it (<c>P2P_BROWSER_ICE_SERVERS</c>), null otherwise.
    /// </summary>
    public ReportedCandidatePair? SelectedPair { get; init; }

    /// <summary>What went wrong, when <see cref="Ok"/> is false.</summary>
    public string? Error { get; init; }

    /// <summary>Parses a report line.</summary>
    /// <exception cref="JsonException">Not a report.</exception>
    public static ScenarioReport Parse(string line) =>
        JsonSerializer.Deserialize<ScenarioReport>(line, Json) ?? throw new JsonException("null report");

    /// <summary>The report as one JSON line.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The report, briefly, for test output.</summary>
    public override string ToString() => ToJson();
}

/// <summary>A channel the peer opened, as the accepting side sees it.</summary>
/// <param name="Label">The label.</param>
/// <param name="Ordered">Ordered delivery.</param>
/// <param name="MaxRetransmits">The retransmission limit, null when reliable.</param>
public sealed record AcceptedChannel(string Label, bool Ordered, int? MaxRetransmits);
