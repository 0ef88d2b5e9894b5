using System.Net;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Tests.Support;

/// <summary>Two ICE agents restricted to 127.0.0.1, with helpers to signal candidates and credentials between them.</summary>
public sealed class IceTestAgents : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public IceTestAgents(IceRole roleA, IceRole roleB, Func<IceAgentOptions, IceAgentOptions>? tweak = null)
    {
        A = new IceAgent((tweak ?? (o => o))(Options(roleA)));
        B = new IceAgent((tweak ?? (o => o))(Options(roleB)));
    }

    public IceAgent A { get; }

    public IceAgent B { get; }

    /// <summary>Options for tests: loopback only, fast pacing and retransmission.</summary>
    public static IceAgentOptions Options(IceRole role) => new()
    {
        Role = role,
        AddressFilter = ip => ip.Equals(IPAddress.Loopback),
        CheckInterval = TimeSpan.FromMilliseconds(10),
        InitialRto = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>Trickles <paramref name="from"/>'s candidates (and its end-of-candidates) to <paramref name="to"/>.</summary>
    public static void Trickle(IceAgent from, IceAgent to)
    {
        from.LocalCandidateGathered += (_, c) => Safe(() => to.AddRemoteCandidate(c.ToString()));
        from.GatheringStateChanged += (_, s) =>
        {
            if (s == IceGatheringState.Complete)
            {
                Safe(to.AddRemoteEndOfCandidates);
            }
        };
    }

    /// <summary>The address of <paramref name="agent"/>'s first local candidate (where checks to it go).</summary>
    public static IPEndPoint FirstLocalEndPoint(IceAgent agent)
    {
        var candidate = agent.GetLocalCandidates()[0];
        return new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port);
    }

    public static void GiveCredentials(IceAgent from, IceAgent to) => to.SetRemoteCredentials(from.LocalUfrag, from.LocalPassword);

    /// <summary>Full exchange both ways, trickled, then gathering on both.</summary>
    public async Task ConnectAsync()
    {
        Trickle(A, B);
        Trickle(B, A);
        GiveCredentials(A, B);
        GiveCredentials(B, A);
        A.StartGathering();
        B.StartGathering();
        await Task.WhenAll(A.ConnectAsync(), B.ConnectAsync()).WaitAsync(Timeout);
    }

    /// <summary>Completes when the agent reports the state (or throws after the timeout).</summary>
    public static Task WaitForStateAsync(IceAgent agent, IceConnectionState state)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.ConnectionStateChanged += (_, s) =>
        {
            if (s == state)
            {
                tcs.TrySetResult();
            }
        };
        if (agent.ConnectionState == state)
        {
            tcs.TrySetResult();
        }

        return tcs.Task.WaitAsync(Timeout);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    private static void Safe(Action action)
    {
        try
        {
            action();
        }
        catch (ObjectDisposedException)
        {
            // the other side is gone
        }
    }
}

/// <summary>Collects events of an agent for assertions.</summary>
public sealed class IceEventLog
{
    private readonly Lock _sync = new();
    private readonly List<IceConnectionState> _states = [];
    private readonly List<IceCandidate> _candidates = [];

    public IceEventLog(IceAgent agent)
    {
        agent.ConnectionStateChanged += (_, s) =>
        {
            lock (_sync)
            {
                _states.Add(s);
            }
        };
        agent.LocalCandidateGathered += (_, c) =>
        {
            lock (_sync)
            {
                _candidates.Add(c);
            }
        };
    }

    public IReadOnlyList<IceConnectionState> States
    {
        get
        {
            lock (_sync)
            {
                return [.. _states];
            }
        }
    }

    public IReadOnlyList<IceCandidate> Candidates
    {
        get
        {
            lock (_sync)
            {
                return [.. _candidates];
            }
        }
    }
}
