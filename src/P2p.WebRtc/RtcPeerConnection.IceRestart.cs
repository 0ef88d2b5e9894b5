using Microsoft.Extensions.Logging;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc;

// ICE restart (RFC 8445 §9; JSEP, RFC 8829 §4.1.10, §5.2.1, §5.3.1) and what a later description may change.
public sealed partial class RtcPeerConnection
{
    private readonly HashSet<string> _staleRemoteUfrags = new(StringComparer.Ordinal);
    private (string Ufrag, string Password)? _pendingRestart;
    private bool _restartOffered;
    private volatile bool _pathSuspect;

    /// <summary>
    /// ICE selected another candidate pair (the browser's <c>RTCIceTransport.onselectedcandidatepairchange</c>): the
    /// first selection, the end of an ICE restart, or a re-nomination by the controlling side. Data goes over it now. Also
    /// raised, for the same path, when the peer signals the selected pair's remote candidate after ICE learned it as
    /// peer-reflexive from a check (e.g. a late mDNS resolution): the pair's description then changes, not the path.
    /// </summary>
    public event EventHandler<IceCandidatePairInfo>? SelectedCandidatePairChanged;

    /// <summary>
    /// Asks for an ICE restart, like the browser's <c>pc.restartIce()</c>: the next <see cref="CreateOfferAsync"/>
    /// carries new <c>a=ice-ufrag</c>/<c>a=ice-pwd</c> (same fingerprint, setup role, SCTP port and media section).
    /// Setting that offer locally restarts ICE (RFC 8445 §9): new credentials, a fresh gathering on the addresses the
    /// host has now (trickled through <see cref="IceCandidate"/>, ending with end-of-candidates; the gathering state
    /// goes Gathering → Complete again); the peer's answer gives the new remote credentials and the new checks start.
    /// DTLS, SCTP and every data channel are kept.
    /// </summary>
    /// <remarks>
    /// <para>While ICE restarts, <see cref="ConnectionState"/> and <see cref="IceConnectionState"/> stay what they were
    /// (Connected, or Disconnected when the path died) and data keeps going over the previously selected pair. When
    /// the new generation selects a pair, data moves to it, SCTP retransmits what is outstanding at once, and the
    /// states become Connected. Before any offer (no ICE agent yet) this does nothing: the first offer's credentials
    /// are new anyway. Calling it again before the offer is set changes nothing more. This class raises no
    /// <c>negotiationneeded</c> event: the caller creates and signals the offer itself.</para>
    /// <para>An ICE agent that has failed (every pair failed, or consent expired) has closed the DTLS transport below
    /// the association, so a restart could not keep the session: then, and once the connection is closed, this
    /// throws.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The connection is closed or has failed, or ICE has failed.</exception>
    public void RestartIce()
    {
        lock (_sync)
        {
            ThrowIfClosed();
            if (Error is not null || _ice?.ConnectionState is IceConnectionState.Failed or IceConnectionState.Closed)
            {
                throw new InvalidOperationException(
                    $"Cannot restart ICE: the connection has failed ({Error?.Message ?? "ICE " + _ice?.ConnectionState}); DTLS and SCTP are gone, create a new connection.");
            }

            if (_ice is null)
            {
                _logger.LogDebug("RestartIce before any offer: nothing to restart, the first offer has fresh credentials");
                return;
            }

            _pendingRestart ??= (IceCredentials.NewUfrag(), IceCredentials.NewPassword());
            _logger.LogDebug("ICE restart requested; the next offer carries ufrag {Ufrag}", _pendingRestart.Value.Ufrag);
        }
    }

    /// <summary>Under the lock: restarts the agent with new local credentials; the current remote ufrag becomes stale.</summary>
    private void RestartIceLocked(IceAgent ice, string ufrag, string password)
    {
        var previousRemote = _remoteMedia is not null ? _remoteDescription!.GetIceUfrag(_remoteMedia) : null;
        ice.Restart(ufrag, password);
        if (previousRemote is not null)
        {
            _staleRemoteUfrags.Add(previousRemote);
        }

        _localUfrag = ufrag;
        _localPassword = password;
        _pendingRestart = null;
        _pathSuspect = true; // the pair selected next ends the restart: SCTP resends what is outstanding on it
        _logger.LogInformation("ICE restart: local ufrag {Ufrag}, generation {Generation}", ufrag, ice.Generation);
    }

    /// <summary>
    /// Under the lock, before a remote description changes anything: refuses what would need a new DTLS session or
    /// an unrequested ICE restart; says whether an offer restarts ICE (new remote credentials).
    /// </summary>
    private bool CheckRenegotiationLocked(RtcSdpType type, string ufrag, string password, MediaDescription media, IReadOnlyList<DtlsFingerprint> fingerprints, SdpSetupRole remoteSetup)
    {
        if (_remoteDescription is null || _remoteMedia is null)
        {
            return false;
        }

        // DTLS is kept across re-offers and ICE restarts (RFC 8842 §5): nothing may ask for a new DTLS session.
        if (!SameFingerprints(RemoteFingerprints, fingerprints))
        {
            throw new InvalidOperationException(
                "The remote description changes the DTLS certificate fingerprint: that needs a new DTLS session, which this connection does not renegotiate. Create a new connection; this one is unchanged.");
        }

        if (_remoteMedia.TlsId is { } oldTlsId && media.TlsId is { } newTlsId && oldTlsId != newTlsId)
        {
            throw new InvalidOperationException(
                "The remote description changes a=tls-id, which asks for a new DTLS association (RFC 8842 §5.2): not supported. Create a new connection; this one is unchanged.");
        }

        if (_dtlsRole is { } role)
        {
            Dtls.DtlsRole? required = remoteSetup switch
            {
                SdpSetupRole.Active => Dtls.DtlsRole.Server,
                SdpSetupRole.Passive => Dtls.DtlsRole.Client,
                _ => null,
            };
            if (required is { } r && r != role)
            {
                throw new InvalidOperationException(
                    $"The remote description's a=setup:{SdpAttributeSection.SetupToString(remoteSetup)} reverses the DTLS roles (this side is the DTLS {role}): that needs a new DTLS session, which is not supported. This connection is unchanged.");
            }
        }

        var changed = _remoteDescription.GetIceUfrag(_remoteMedia) != ufrag || _remoteDescription.GetIcePwd(_remoteMedia) != password;
        if (type == RtcSdpType.Answer)
        {
            if (changed && !_restartOffered)
            {
                throw new InvalidOperationException(
                    "The answer changes the ICE credentials although our offer did not restart ICE (RFC 8839 §4.4.1.1.2). This connection is unchanged.");
            }

            return false;
        }

        if (changed && _signalingState == RtcSignalingState.Stable && _ice?.ConnectionState is IceConnectionState.Failed or IceConnectionState.Closed)
        {
            throw new InvalidOperationException($"The offer restarts ICE, but ICE is {_ice.ConnectionState} and the DTLS session is gone: create a new connection.");
        }

        return changed;
    }

    private static bool SameFingerprints(IReadOnlyList<DtlsFingerprint> before, IReadOnlyList<DtlsFingerprint> after) =>
        before.Count == 0 || (before.All(after.Contains) && after.All(before.Contains));

    /// <summary>
    /// ICE moved the data path. After an ICE restart (or while ICE was Disconnected) what is in flight may have been
    /// lost on the old path: SCTP resends it at once. A re-nomination while the old path works (browsers move to a
    /// better pair) leaves SCTP alone: resending would only abandon the in-flight messages of maxRetransmits=0 channels.
    /// </summary>
    private void OnSelectedPairChanged(IceCandidatePairInfo pair)
    {
        var suspect = _pathSuspect || _ice?.ConnectionState == IceConnectionState.Disconnected;
        _pathSuspect = false;
        if (suspect && IsSctpConnected)
        {
            _logger.LogDebug("ICE selected {Pair}; SCTP retransmits what is outstanding on the new path", pair);
            _sctp?.NotifyPathChanged();
        }

        SelectedCandidatePairChanged?.Invoke(this, pair);
    }
}
