using System.Text;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Ice;

/// <summary>
/// ICE restart (RFC 8445 §9): new local credentials, a new gathering on freshly enumerated addresses and sockets, a
/// new check list. The previously selected pair keeps carrying data (and its consent checks from the peer are still
/// answered) until the new generation selects a pair; then the previous generation's sockets are closed.
/// </summary>
public sealed partial class IceAgent
{
    private readonly List<HostSocket> _retiredSockets = [];
    /// <summary>How many earlier generations' remote ufrags are remembered (their late candidates are ignored).</summary>
    private const int MaxStaleRemoteUfrags = 16;

    private readonly HashSet<string> _staleRemoteUfrags = new(StringComparer.Ordinal);
    private readonly Queue<string> _staleRemoteUfragOrder = new();
    private int _generation;
    private bool _restarting;

    // The local credentials of the generation that selected the current data path: the peer's consent checks on
    // that pair still use them while a restart is in progress (RFC 8445 §9: data keeps flowing on it meanwhile).
    private byte[]? _pathLocalKey;
    private byte[]? _pathUsernamePrefix;

    /// <summary>The ICE generation: 0 at first, one more per <see cref="Restart"/>.</summary>
    public int Generation
    {
        get
        {
            lock (_sync)
            {
                return _generation;
            }
        }
    }

    /// <summary>True from <see cref="Restart"/> until the new generation selects a pair.</summary>
    public bool IsRestarting
    {
        get
        {
            lock (_sync)
            {
                return _restarting;
            }
        }
    }

    /// <summary>
    /// Restarts ICE (RFC 8445 §9) with new local credentials: forgets the remote credentials and candidates, the check
    /// list and the local candidates, and retires the local sockets. Call <see cref="StartGathering"/> to gather anew
    /// (the local addresses are enumerated again, so an address change of the host is picked up), and
    /// <see cref="SetRemoteCredentials"/> with the peer's new credentials. The role is kept (RFC 8445 §9). Until the
    /// new generation selects a pair, <see cref="ConnectionState"/> stays what it was (Connected, Completed or
    /// Disconnected; consent does not expire, but silence for ConsentDisconnectedTimeout still reports Disconnected) and data keeps going over the previously selected pair; once a
    /// new pair is selected, data moves to it, <see cref="SelectedPairChanged"/> is raised, the state becomes
    /// Connected and the previous generation's sockets are closed.
    /// </summary>
    /// <param name="localUfrag">The new username fragment: 4–256 ice-chars, different from the current one.</param>
    /// <param name="localPassword">The new password: 22–256 ice-chars, different from the current one.</param>
    /// <exception cref="ArgumentException">Invalid credentials, or the current ones.</exception>
    /// <exception cref="InvalidOperationException">ICE has failed or is closed: a restart cannot revive it.</exception>
    /// <exception cref="ObjectDisposedException">The agent was disposed.</exception>
    public void Restart(string localUfrag, string localPassword)
    {
        if (!IceCredentials.IsValidUfrag(localUfrag))
        {
            throw new ArgumentException("The ufrag must be 4–256 ice-chars (RFC 8839 §5.4).", nameof(localUfrag));
        }

        if (!IceCredentials.IsValidPassword(localPassword))
        {
            throw new ArgumentException("The password must be 22–256 ice-chars (RFC 8839 §5.4).", nameof(localPassword));
        }

        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state is IceConnectionState.Failed or IceConnectionState.Closed)
            {
                throw new InvalidOperationException($"ICE is {_state}: a restart cannot revive it; create a new connection.");
            }

            if (localUfrag == LocalUfrag || localPassword == LocalPassword)
            {
                throw new ArgumentException("An ICE restart must change both the ufrag and the password (RFC 8445 §9).", nameof(localUfrag));
            }

            _generation++;
            _logger.LogInformation("ICE {Ufrag}: restart, generation {Generation} as {New}", LocalUfrag, _generation, localUfrag);
            LocalUfrag = localUfrag;
            LocalPassword = localPassword;
            _localKey = StunCredentials.ShortTermKey(localPassword);
            _localUsernamePrefix = Encoding.UTF8.GetBytes(localUfrag + ":");

            if (_remoteUfrag is not null && _staleRemoteUfrags.Add(_remoteUfrag))
            {
                // A connection restarted for hours keeps only the latest: a candidate of an older one no longer comes.
                _staleRemoteUfragOrder.Enqueue(_remoteUfrag);
                if (_staleRemoteUfragOrder.Count > MaxStaleRemoteUfrags)
                {
                    _staleRemoteUfrags.Remove(_staleRemoteUfragOrder.Dequeue());
                }
            }

            _remoteUfrag = null;
            _remoteKey = null;
            _remoteCandidates.Clear();
            _remoteCandidatesCapped = false;
            _peerReflexiveLearned = 0;
            _peerReflexiveCapped = false;
            _remoteByKey.Clear();
            _checkList.Clear();
            _triggered.Clear();
            _transactions.Clear(); // checks, consent checks and server bindings of the previous generation
            _selected = null;      // _path stays: data keeps flowing on the previous pair until a new one is selected
            _nominating = null;
            _checksStopped = false;
            _remoteEndOfCandidates = false;
            _firstValidAt = null;
            _lastCheckSent = TimeSpan.MinValue;
            _restarting = true;

            foreach (var socket in _sockets)
            {
                socket.Retired = true;
                _retiredSockets.Add(socket);
            }

            _sockets.Clear();
            _localCandidates.Clear();
            SetGatheringState(IceGatheringState.New);
            RescheduleTimer(Now);
        }
    }

    /// <summary>The candidate extensions of this generation (<c>generation</c>, <c>ufrag</c>; as browsers signal them).</summary>
    private KeyValuePair<string, string>[] GenerationExtensions() =>
        [new("generation", _generation.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("ufrag", LocalUfrag)];

    /// <summary>Under the lock: whether a remote candidate names a previous generation's ufrag.</summary>
    private bool IsStaleRemote(Sdp.IceCandidate c) => c.Ufrag is { } u && _staleRemoteUfrags.Contains(u);

    /// <summary>
    /// Under the lock, on a retired socket or with credentials other than the current ones: answers a check of the
    /// generation that selected the data path (the peer's consent checks, RFC 7675) while a restart is in progress.
    /// </summary>
    /// <returns>True when the request was one of those and was answered.</returns>
    private bool TryAnswerPathGeneration(HostSocket socket, in StunMessage msg, ReadOnlySpan<byte> username, System.Net.SocketAddress remote, Net.EndpointKey source)
    {
        if (_pathLocalKey is null || _pathUsernamePrefix is null || !username.StartsWith(_pathUsernamePrefix) || !msg.VerifyMessageIntegrity(_pathLocalKey))
        {
            return false;
        }

        SendSuccess(socket, msg.TransactionId, source.ToIPEndPoint(), remote, _pathLocalKey);
        OnRestartSignOfLife(Now);
        return true;
    }

    /// <summary>Under the lock, when a pair is selected: the previous generations' sockets are closed (off the lock).</summary>
    private void CompleteRestart()
    {
        _pathLocalKey = _localKey;
        _pathUsernamePrefix = _localUsernamePrefix;
        if (!_restarting)
        {
            return;
        }

        _restarting = false;
        if (_state == IceConnectionState.Disconnected)
        {
            SetState(IceConnectionState.Connected);
        }

        if (_retiredSockets.Count == 0)
        {
            return;
        }

        HostSocket[] retired = [.. _retiredSockets];
        _retiredSockets.Clear();
        _logger.LogDebug("ICE {Ufrag}: restart complete; closing {Count} sockets of the previous generation", LocalUfrag, retired.Length);
        _ = Task.Run(() =>
        {
            foreach (var s in retired)
            {
                s.Socket.Dispose(); // joins the receive thread: never under the lock
            }
        });
    }
}
