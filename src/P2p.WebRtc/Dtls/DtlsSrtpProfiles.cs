using Org.BouncyCastle.Tls;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// The <c>use_srtp</c> extension (RFC 5764 §4.1.1) as a data-only endpoint negotiates it. WebRTC
/// stacks offer it on every DTLS handshake, and some (pion, werift) refuse a peer that does not
/// negotiate it, even when the session carries data channels only. We offer it as client and answer
/// it as server so that they connect to us; no SRTP keys are ever exported (there is no media).
/// </summary>
internal static class DtlsSrtpProfiles
{
    /// <summary>The protection profiles we offer, in preference order (the ones browsers offer).</summary>
    public static readonly int[] Supported =
    [
        SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM,
        SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM,
        SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80,
        SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_32,
    ];

    /// <summary>The extension's contents as we offer them: our profiles and an empty MKI.</summary>
    public static UseSrtpData Offer() => new(Supported, []);

    /// <summary>
    /// The server's choice (RFC 5764 §4.1.1): the first profile in the client's list that we
    /// support, or -1 when there is none (the server then omits the extension).
    /// </summary>
    public static int Select(IReadOnlyList<int> clientProfiles)
    {
        foreach (var profile in clientProfiles)
        {
            if (Array.IndexOf(Supported, profile) >= 0)
            {
                return profile;
            }
        }

        return -1;
    }

    /// <summary>
    /// Checks the server's answer as a client (RFC 5764 §4.1.1): it names exactly one profile, one we
    /// offered, and echoes no MKI of its own. Returns the profile.
    /// </summary>
    /// <exception cref="TlsFatalAlert">illegal_parameter: the answer breaks those rules.</exception>
    public static int CheckServerChoice(UseSrtpData answer)
    {
        var profiles = answer.ProtectionProfiles;
        if (profiles is not { Length: 1 } || Array.IndexOf(Supported, profiles[0]) < 0)
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "The server's use_srtp extension does not name exactly one of the profiles we offered.");
        }

        if (answer.Mki is { Length: > 0 })
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "The server's use_srtp extension carries an MKI we did not offer.");
        }

        return profiles[0];
    }

    /// <summary>The profile's IANA name (e.g. SRTP_AEAD_AES_128_GCM), for logs and diagnostics.</summary>
    public static string Name(int profile) => profile switch
    {
        SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM => "SRTP_AEAD_AES_128_GCM",
        SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM => "SRTP_AEAD_AES_256_GCM",
        SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
        SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
        _ => $"0x{profile:X4}",
    };
}
