using System.Text;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Sdp;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// SDP (RFC 8866, RFC 8841, RFC 8839, and the legacy <c>DTLS/SCTP</c> + <c>a=sctpmap</c> dialect): the text as it
/// arrives in a relayed <c>{"type","sdp"}</c>, through <see cref="SessionDescription.Parse"/>, every accessor that
/// <c>RtcPeerConnection.SetRemoteDescriptionAsync</c> reads (data channel section, ICE credentials, fingerprints via
/// <see cref="DtlsFingerprint.Parse(string)"/>, setup, SCTP port, max-message-size, candidates), and the round trip:
/// what <see cref="SessionDescription.ToString"/> writes must parse again, to the same text. Bad input is a <see cref="FormatException"/>
/// (<see cref="SdpParseException"/> from the parser).
/// </summary>
internal static class SdpTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        SessionDescription sdp;
        try
        {
            sdp = SessionDescription.Parse(text);
        }
        catch (SdpParseException)
        {
            return;
        }

        Inspect(sdp);
        var written = sdp.ToString();
        var again = SessionDescription.Parse(written); // must not throw: we wrote it
        if (again.ToString() != written)
        {
            throw new InvalidOperationException("What the SDP writer wrote did not read back to the same text.");
        }

        Inspect(again);
    }

    private static void Inspect(SessionDescription sdp)
    {
        _ = sdp.Groups;
        _ = sdp.BundleGroup;
        _ = sdp.IceLite;
        _ = sdp.TlsId;
        foreach (var media in sdp.Media)
        {
            _ = media.IsRejected;
            _ = media.IsDataChannel;
            _ = media.IsLegacyDataChannel;
            _ = media.SctpMapPort;
            _ = media.SctpPort;
            _ = media.DataChannelSctpPort;
            _ = media.MaxMessageSize;
            _ = media.Mid;
            _ = media.EndOfCandidates;
            _ = media.FormatMediaLine();
            _ = sdp.GetIceUfrag(media);
            _ = sdp.GetIcePwd(media);
            _ = sdp.GetSetup(media);
            _ = sdp.GetIceOptions(media);
            foreach (var candidate in media.Candidates)
            {
                CandidateTarget.Inspect(candidate);
            }

            foreach (var fingerprint in sdp.GetFingerprints(media))
            {
                try
                {
                    _ = DtlsFingerprint.Parse(fingerprint.ToString());
                }
                catch (FormatException)
                {
                    // an algorithm or digest the DTLS layer does not accept: the description is refused
                }
            }
        }
    }
}
