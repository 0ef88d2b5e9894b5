using System.Diagnostics;
using System.Net;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;

namespace P2p.Benchmarks.WebRtc;

/// <summary>Two P2p.WebRtc peer connections in this process, connected on 127.0.0.1.</summary>
internal sealed class DotNetPair : IAsyncDisposable
{
    private DotNetPair(RtcPeerConnection offerer, RtcPeerConnection answerer, double setupMs)
    {
        Offerer = offerer;
        Answerer = answerer;
        SetupMs = setupMs;
    }

    public RtcPeerConnection Offerer { get; }

    public RtcPeerConnection Answerer { get; }

    /// <summary>Offer created → first channel open on both sides, in milliseconds.</summary>
    public double SetupMs { get; }

    public static async Task<DotNetPair> ConnectAsync(CancellationToken ct)
    {
        var configuration = new RtcConfiguration { AddressFilter = a => a.Equals(IPAddress.Loopback) };
        var offerer = new RtcPeerConnection(configuration);
        var answerer = new RtcPeerConnection(configuration);
        offerer.IceCandidate += (_, e) => _ = answerer.AddIceCandidateAsync(e.Candidate, ct);
        answerer.IceCandidate += (_, e) => _ = offerer.AddIceCandidateAsync(e.Candidate, ct);
        var announced = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        answerer.DataChannel += (_, c) => announced.TrySetResult(c);

        var clock = Stopwatch.StartNew();
        var ctl = offerer.CreateDataChannel("ctl");
        var opened = Opened(ctl);
        var offer = await offerer.CreateOfferAsync(ct);
        await offerer.SetLocalDescriptionAsync(offer, ct);
        await answerer.SetRemoteDescriptionAsync(offer, ct);
        var answer = await answerer.CreateAnswerAsync(ct);
        await answerer.SetLocalDescriptionAsync(answer, ct);
        await offerer.SetRemoteDescriptionAsync(answer, ct);
        await Task.WhenAll(opened, announced.Task).WaitAsync(TimeSpan.FromSeconds(30), ct);
        return new DotNetPair(offerer, answerer, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>A new channel, open on both sides: (sending end, receiving end).</summary>
    public async Task<(RtcDataChannel Local, RtcDataChannel Remote)> OpenChannelAsync(string label, CancellationToken ct)
    {
        var announced = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChannel(object? sender, RtcDataChannel c)
        {
            if (c.Label == label)
            {
                announced.TrySetResult(c);
            }
        }

        Answerer.DataChannel += OnChannel;
        try
        {
            var local = Offerer.CreateDataChannel(label);
            await Task.WhenAll(Opened(local), announced.Task).WaitAsync(TimeSpan.FromSeconds(30), ct);
            return (local, await announced.Task);
        }
        finally
        {
            Answerer.DataChannel -= OnChannel;
        }
    }

    public static Task Opened(RtcDataChannel channel)
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Opened += (_, _) => open.TrySetResult();
        if (channel.ReadyState == RtcDataChannelState.Open)
        {
            open.TrySetResult();
        }

        return open.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await Offerer.DisposeAsync();
        await Answerer.DisposeAsync();
    }
}
