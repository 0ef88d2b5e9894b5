namespace P2p.Core.Identity;

/// <summary>Why a peer's identity was not accepted (<see cref="IdentityException.Reason"/>).</summary>
public enum IdentityFailureReason
{
    /// <summary>Identity is required and the peer sent none: its first frame was something else, or nothing came within the connect timeout.</summary>
    Missing = 1,

    /// <summary>The Identity frame could not be read: bad lengths, trailing bytes, another version, a key that is not P-256.</summary>
    Malformed = 2,

    /// <summary>The signature does not verify over the transcript this side sees (a swapped fingerprint or member id, or a wrong key).</summary>
    BadSignature = 3,

    /// <summary>The signature verified but the trust policy refused the identity (or failed).</summary>
    Refused = 4,
}
