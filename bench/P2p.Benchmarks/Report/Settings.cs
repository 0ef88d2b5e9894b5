using System.Globalization;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>What the `all` scenario runs; the defaults fit a ~10–15 minute run on a 2-core machine.</summary>
internal sealed record Settings
{
    public int Mib { get; init; } = 64;

    public int[] MessageKib { get; init; } = [16, 64, 256];

    public int Runs { get; init; } = 3;

    public int Pings { get; init; } = 2000;

    public int Setups { get; init; } = 20;

    public int[] MeshSizes { get; init; } = [4, 8, 16, 32];

    public int MeshRuns { get; init; } = 3;

    public int[] SignalingClients { get; init; } = [200, 2000];

    public int SignalingSeconds { get; init; } = 10;

    /// <summary>Clients of the signaling-cluster section (spread over 3 instances, and all on one).</summary>
    public int ClusterClients { get; init; } = 5000;

    public int IdlePeerPairs { get; init; } = 16;

    /// <summary>Seconds each ceiling run measures (after a warm-up); the section takes the median of <see cref="CeilingRuns"/>.</summary>
    public double CeilingSeconds { get; init; } = 2;

    public int CeilingRuns { get; init; } = 3;

    /// <summary>MiB each sender broadcasts per fan-out run (64 KiB messages).</summary>
    public int FanOutMib { get; init; } = 32;

    /// <summary>Members of the fan-out group (one sender reaches the other N − 1).</summary>
    public int FanOutMembers { get; init; } = 8;

    public int AllocationMessages { get; init; } = 20_000;

    public bool Chromium { get; init; } = true;

    public bool Micro { get; init; } = true;

    /// <summary>Sections to run (see <see cref="ReportRunner.Sections"/>); null: all.</summary>
    public HashSet<string>? Only { get; init; }

    public bool Includes(string section) => Only is null || Only.Contains(section);

    public static Settings Parse(string[] args)
    {
        var a = new Args(args);
        var s = a.Flag("--quick")
            ? new Settings
            {
                Mib = 16, MessageKib = [64], Runs = 1, Pings = 300, Setups = 3, MeshSizes = [4, 8], MeshRuns = 1,
                SignalingClients = [200], SignalingSeconds = 3, ClusterClients = 600, IdlePeerPairs = 4, AllocationMessages = 4000,
                CeilingSeconds = 1, FanOutMib = 8,
            }
            : new Settings();
        return s with
        {
            Mib = a.Int("--mib", s.Mib),
            MessageKib = Ints(a.String("--kib")) ?? s.MessageKib,
            Runs = a.Int("--runs", s.Runs),
            Pings = a.Int("--pings", s.Pings),
            Setups = a.Int("--setups", s.Setups),
            MeshSizes = Ints(a.String("--mesh")) ?? s.MeshSizes,
            MeshRuns = a.Int("--mesh-runs", s.MeshRuns),
            SignalingClients = Ints(a.String("--clients")) ?? s.SignalingClients,
            SignalingSeconds = a.Int("--seconds", s.SignalingSeconds),
            ClusterClients = a.Int("--cluster-clients", s.ClusterClients),
            FanOutMib = a.Int("--fan-out-mib", s.FanOutMib),
            FanOutMembers = a.Int("--fan-out-members", s.FanOutMembers),
            Chromium = !a.Flag("--no-chromium"),
            Micro = !a.Flag("--no-micro"),
            Only = a.String("--only") is { } only ? [.. only.Split(',')] : null,
        };
    }

    private static int[]? Ints(string? list) =>
        list?.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
}
