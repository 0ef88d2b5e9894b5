using System.Collections.Concurrent;
using System.Text.Json;
using P2p.Testing.Chromium;
using P2p.WebRtc;

namespace P2p.Interop.Tests.Support;

/// <summary>
/// Signaling between one of our <see cref="RtcPeerConnection"/>s and a Chromium peer, carried by the
/// test: descriptions in both directions and trickled candidates both ways (127.0.0.1 only unless told otherwise).
/// </summary>
public sealed class ChromiumLink
{
    private readonly RtcPeerConnection _ours;
    private readonly BrowserPeer _browser;
    private readonly ConcurrentQueue<Exception> _errors = new();
    private readonly List<Task> _inFlight = [];
    private readonly Func<string, bool>? _forwardBrowsers;
    private Task? _pump;

    /// <param name="ours">Our connection.</param>
    /// <param name="browser">The browser's.</param>
    /// <param name="forwardOurs">Which of our candidate lines go to the browser; by default 127.0.0.1 ones only.</param>
    /// <param name="forwardBrowsers">Which of the browser's candidates (RTCIceCandidateInit JSON) come to us; by default 127.0.0.1 UDP ones only.</param>
    public ChromiumLink(RtcPeerConnection ours, BrowserPeer browser, Func<string, bool>? forwardOurs = null, Func<string, bool>? forwardBrowsers = null)
    {
        _ours = ours;
        _browser = browser;
        _forwardBrowsers = forwardBrowsers;
        forwardOurs ??= line => line.Contains(" 127.0.0.1 ", StringComparison.Ordinal);
        ours.IceCandidate += (_, e) =>
        {
            if (e.Candidate is { } c && forwardOurs(c.Candidate))
            {
                lock (_inFlight)
                {
                    _inFlight.Add(Forward(() => browser.AddCandidateAsync(JsonSerializer.Serialize(c))));
                }
            }
        };
    }

    /// <summary>Failures while forwarding candidates (a test asserts there are none).</summary>
    public IReadOnlyCollection<Exception> Errors => _errors;

    /// <summary>We offer, Chromium answers.</summary>
    public async Task WeOfferAsync(CancellationToken cancellationToken)
    {
        StartPump(cancellationToken);
        var offer = await _ours.CreateOfferAsync(cancellationToken);
        await _ours.SetLocalDescriptionAsync(offer, cancellationToken);
        var answer = await _browser.AnswerAsync(new SessionDescriptionJson { type = offer.TypeName, sdp = offer.Sdp });
        await _ours.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSessionDescription.ParseType(answer.type), answer.sdp), cancellationToken);
    }

    /// <summary>Chromium offers (it must have created a channel first), we answer.</summary>
    public async Task ChromiumOffersAsync(CancellationToken cancellationToken)
    {
        StartPump(cancellationToken);
        var offer = await _browser.CreateOfferAsync();
        await _ours.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSessionDescription.ParseType(offer.type), offer.sdp), cancellationToken);
        var answer = await _ours.CreateAnswerAsync(cancellationToken);
        await _ours.SetLocalDescriptionAsync(answer, cancellationToken);
        await _browser.AcceptAsync(new SessionDescriptionJson { type = answer.TypeName, sdp = answer.Sdp });
    }

    /// <summary>Waits until both sides report connected.</summary>
    public async Task WaitConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ours = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnState(object? sender, RtcPeerConnectionState state)
        {
            if (state == RtcPeerConnectionState.Connected)
            {
                ours.TrySetResult();
            }
            else if (state is RtcPeerConnectionState.Failed or RtcPeerConnectionState.Closed)
            {
                ours.TrySetException(new InvalidOperationException($"our connection went {state}: {_ours.Error}"));
            }
        }

        _ours.ConnectionStateChanged += OnState;
        try
        {
            if (_ours.ConnectionState == RtcPeerConnectionState.Connected)
            {
                ours.TrySetResult();
            }

            await ours.Task.WaitAsync(timeout, cancellationToken);
            await _browser.WaitConnectionStateAsync("connected", (int)timeout.TotalMilliseconds);
        }
        finally
        {
            _ours.ConnectionStateChanged -= OnState;
        }
    }

    private void StartPump(CancellationToken cancellationToken) =>
        _pump ??= CandidateRelay.PumpAsync(_browser, async json =>
        {
            var candidate = JsonSerializer.Deserialize<RtcIceCandidateInit>(json)!;
            await _ours.AddIceCandidateAsync(candidate, cancellationToken);
        }, cancellationToken, _forwardBrowsers);

    private async Task Forward(Func<Task> send)
    {
        try
        {
            await send();
        }
        catch (Exception e)
        {
            _errors.Enqueue(e);
        }
    }
}
