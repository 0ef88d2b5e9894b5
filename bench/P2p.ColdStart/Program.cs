using System.Diagnostics;
using System.Globalization;
using System.Net;
using P2p.ColdStart;
using P2p.WebRtc;

// The first .NET ↔ .NET connection of this fresh process (offer created → the channel open on both ends, two peer
// connections on 127.0.0.1), then the median of N more: prints "COLD firstMs warmMedianMs". Usage: P2p.ColdStart [--warm N]
var warm = args.Length == 2 && args[0] == "--warm" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var first = await ConnectAsync();
var samples = new List<double>();
for (var i = 0; i < warm; i++)
{
    samples.Add(await ConnectAsync());
}

samples.Sort();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"COLD {first:F1} {samples[samples.Count / 2]:F1}"));
return 0;

static async Task<double> ConnectAsync()
{
    var configuration = new RtcConfiguration { AddressFilter = a => a.Equals(IPAddress.Loopback) };
    await using var offerer = new RtcPeerConnection(configuration);
    await using var answerer = new RtcPeerConnection(configuration);
    offerer.IceCandidate += (_, e) => _ = answerer.AddIceCandidateAsync(e.Candidate);
    answerer.IceCandidate += (_, e) => _ = offerer.AddIceCandidateAsync(e.Candidate);
    var announced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    answerer.DataChannel += (_, _) => announced.TrySetResult();
    var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    var clock = Stopwatch.StartNew();
    var channel = offerer.CreateDataChannel("ctl");
    channel.Opened += (_, _) => opened.TrySetResult();
    await Negotiation.ExchangeAsync(offerer, answerer);
    await Task.WhenAll(opened.Task, announced.Task).WaitAsync(TimeSpan.FromSeconds(30));
    return clock.Elapsed.TotalMilliseconds;
}
