using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2p.WebRtc;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace WebRtcEcho;

/// <summary>
/// The JSON-lines signaling of one peer connection: prints the local description and (unless
/// <c>--no-trickle</c>) each local candidate; reads the peer's description and candidates from stdin.
/// </summary>
internal sealed class SignalingLink
{
    private const int MaxQuotedLine = 200;
    private readonly RtcPeerConnection _pc;
    private readonly JsonLineWriter _output;
    private readonly EchoOptions _options;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _gathered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(int Number, RtcIceCandidateInit Candidate)> _early = [];
    private bool _haveDescription;
    private bool _descriptionApplied;

    public SignalingLink(RtcPeerConnection pc, JsonLineWriter output, EchoOptions options, ILogger logger)
    {
        _pc = pc;
        _output = output;
        _options = options;
        _logger = logger;
        pc.IceCandidate += (_, e) =>
        {
            if (e.Candidate is null)
            {
                _gathered.TrySetResult();
            }

            if (!options.NoTrickle)
            {
                output.WriteCandidate(e.Candidate, "0");
            }
        };
        pc.IceGatheringStateChanged += (_, state) =>
        {
            if (state == IceGatheringState.Complete)
            {
                _gathered.TrySetResult();
            }
        };
    }

    /// <summary>
    /// Prints the local description just set: at once when trickling (candidates follow as lines), or
    /// with <c>--no-trickle</c> once gathering is complete, as <see cref="RtcPeerConnection.LocalDescription"/>
    /// with every candidate and <c>a=end-of-candidates</c>.
    /// </summary>
    public async Task PublishAsync(RtcSessionDescription local, CancellationToken cancellationToken)
    {
        if (!_options.NoTrickle)
        {
            _output.WriteDescription(local);
            return;
        }

        if (_pc.IceGatheringState != IceGatheringState.Complete)
        {
            await _gathered.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _output.WriteDescription(_pc.LocalDescription ?? local);
    }

    /// <summary>
    /// Reads stdin lines until it closes. The one description is handed to <paramref name="onDescription"/>;
    /// candidates are added; anything malformed is reported on stderr and skipped, except a malformed
    /// description, which ends the run (<see cref="ExitCode.Signaling"/>).
    /// </summary>
    /// <param name="lines">The stdin lines.</param>
    /// <param name="expected">"offer" or "answer": the description this side waits for.</param>
    /// <param name="onDescription">Applies the description; throws <see cref="EchoException"/> to end the run.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task RunAsync(ChannelReader<string> lines, string expected, Func<RtcSessionDescription, Task> onDescription, CancellationToken cancellationToken)
    {
        var number = 0;
        try
        {
            await foreach (var line in lines.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                number++;
                await HandleAsync(number, line, expected, onDescription, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException e)
        {
            throw new EchoException(ExitCode.Signaling, $"reading stdin failed: {e.Message}", e);
        }

        if (!_haveDescription)
        {
            throw new EchoException(ExitCode.Signaling, $"stdin closed before the {expected} arrived");
        }

        _logger.LogInformation("stdin closed after {Lines} lines; running on until the connection closes", number);
    }

    /// <summary>True when a candidate line (<c>candidate:…</c> or <c>a=candidate:…</c>) has a loopback IP address.</summary>
    /// <exception cref="FormatException">The line is not a candidate.</exception>
    internal static bool IsLoopbackCandidate(string line) =>
        IPAddress.TryParse(IceCandidate.Parse(line).Address, out var address) && IPAddress.IsLoopback(address);

    /// <summary>
    /// With <c>--loopback</c>: the SDP without its <c>a=candidate</c> lines that are not on a loopback
    /// address. Malformed candidate lines stay, for the stack to reject.
    /// </summary>
    internal static string KeepLoopbackCandidates(string sdp)
    {
        var lines = sdp.Split('\n');
        return string.Join('\n', lines.Where(line =>
        {
            if (!line.StartsWith("a=candidate:", StringComparison.Ordinal))
            {
                return true;
            }

            try
            {
                return IsLoopbackCandidate(line.TrimEnd('\r'));
            }
            catch (FormatException)
            {
                return true;
            }
        }));
    }

    private async Task HandleAsync(int number, string line, string expected, Func<RtcSessionDescription, Task> onDescription, CancellationToken cancellationToken)
    {
        SignalingMessage? message;
        try
        {
            message = SignalingMessage.Parse(line);
        }
        catch (SignalingFormatException e) when (e.Essential)
        {
            throw new EchoException(ExitCode.Signaling, $"input line {number}: malformed {expected}: {e.Message}");
        }
        catch (SignalingFormatException e)
        {
            _logger.LogError("input line {Number} ignored: {Reason}: {Line}", number, e.Message, Quote(line));
            return;
        }

        switch (message)
        {
            case null:
                return;
            case IgnoredMessage ignored:
                _logger.LogDebug("input line {Number}: ignoring a \"{Type}\" line", number, ignored.Type);
                return;
            case DescriptionMessage { Description: var description }:
                if (_haveDescription)
                {
                    throw new EchoException(ExitCode.Signaling, $"input line {number}: a second description ({description.TypeName}); renegotiation is not supported");
                }

                if (description.TypeName != expected)
                {
                    throw new EchoException(ExitCode.Signaling, $"input line {number}: expected an {expected}, got an {description.TypeName}" +
                        (expected == "answer" ? " (did both sides offer? run the other side without --offer)" : " (start the other side with --offer)"));
                }

                _haveDescription = true;
                if (_options.Loopback)
                {
                    description = description with { Sdp = KeepLoopbackCandidates(description.Sdp) };
                }

                _logger.LogInformation("received the {Type}", description.TypeName);
                try
                {
                    await onDescription(description).ConfigureAwait(false);
                }
                catch (Exception e) when (e is FormatException or InvalidOperationException or NotSupportedException or ArgumentException)
                {
                    throw new EchoException(ExitCode.Signaling, $"input line {number}: the {expected} could not be applied: {e.Message}", e);
                }

                // Candidates that came first are added now, one by one, so that a bad one is reported
                // as such (handed to the connection early, it would make SetRemoteDescriptionAsync throw).
                _descriptionApplied = true;
                foreach (var (earlyNumber, early) in _early)
                {
                    await AddCandidateAsync(earlyNumber, early, cancellationToken).ConfigureAwait(false);
                }

                _early.Clear();
                return;
            case CandidateMessage { Candidate: var candidate } when !_descriptionApplied:
                if (IsWellFormed(number, candidate))
                {
                    _early.Add((number, candidate));
                }

                return;
            case CandidateMessage { Candidate: var candidate }:
                await AddCandidateAsync(number, candidate, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async Task AddCandidateAsync(int number, RtcIceCandidateInit candidate, CancellationToken cancellationToken)
    {
        try
        {
            if (candidate.IsEndOfCandidates)
            {
                _logger.LogDebug("input line {Number}: end of the peer's candidates", number);
            }
            else if (_options.Loopback && !IsLoopbackCandidate(candidate.Candidate))
            {
                _logger.LogDebug("input line {Number}: --loopback ignores the non-loopback candidate {Candidate}", number, candidate.Candidate);
                return;
            }
            else
            {
                _logger.LogDebug("input line {Number}: remote candidate {Candidate}", number, candidate.Candidate);
            }

            await _pc.AddIceCandidateAsync(candidate, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            _logger.LogError("input line {Number} ignored: bad candidate: {Reason}: {Line}", number, e.Message, Quote(candidate.Candidate));
        }
        catch (InvalidOperationException e)
        {
            _logger.LogDebug("input line {Number}: candidate not added: {Reason}", number, e.Message);
        }
    }

    private bool IsWellFormed(int number, RtcIceCandidateInit candidate)
    {
        try
        {
            _ = candidate.IsEndOfCandidates ? null : IceCandidate.Parse(candidate.Candidate);
            return true;
        }
        catch (FormatException e)
        {
            _logger.LogError("input line {Number} ignored: bad candidate: {Reason}: {Line}", number, e.Message, Quote(candidate.Candidate));
            return false;
        }
    }

    private static string Quote(string line) => line.Length <= MaxQuotedLine ? line : line[..MaxQuotedLine] + "…";
}
