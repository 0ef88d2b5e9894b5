using System.Globalization;
using System.Text;

namespace P2p.WebRtc.Sdp;

/// <summary>
/// An <c>a=fingerprint</c> value (RFC 8122 §5): a hash function name and the certificate's digest,
/// written as upper-case hex pairs separated by colons.
/// </summary>
public sealed class SdpFingerprint : IEquatable<SdpFingerprint>
{
    private readonly byte[] _value;

    /// <summary>Creates a fingerprint.</summary>
    /// <param name="hashFunction">The hash function name as in the IANA registry, e.g. <c>sha-256</c>.</param>
    /// <param name="value">The digest bytes (copied).</param>
    public SdpFingerprint(string hashFunction, ReadOnlySpan<byte> value)
    {
        ArgumentException.ThrowIfNullOrEmpty(hashFunction);
        if (value.IsEmpty)
        {
            throw new ArgumentException("A fingerprint needs at least one byte.", nameof(value));
        }

        HashFunction = hashFunction;
        _value = value.ToArray();
    }

    /// <summary>The hash function name as written (compare case-insensitively), e.g. <c>sha-256</c>.</summary>
    public string HashFunction { get; }

    /// <summary>The digest bytes.</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>Whether this fingerprint has the given hash function (case-insensitive) and digest.</summary>
    /// <param name="hashFunction">The hash function name.</param>
    /// <param name="digest">The digest.</param>
    /// <returns>True when both match.</returns>
    public bool Matches(string hashFunction, ReadOnlySpan<byte> digest) =>
        HashFunction.Equals(hashFunction, StringComparison.OrdinalIgnoreCase) && digest.SequenceEqual(_value);

    /// <summary>Parses <c>sha-256 AB:CD:…</c>.</summary>
    /// <param name="text">The attribute value.</param>
    /// <returns>The fingerprint.</returns>
    /// <exception cref="SdpParseException">The value is malformed.</exception>
    public static SdpFingerprint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !SdpSyntax.IsToken(text.AsSpan(0, space)))
        {
            throw new SdpParseException(0, "a=fingerprint:" + text, "expected \"<hash-function> <hex:hex:…>\"");
        }

        var hex = text[(space + 1)..];
        if (hex.Length < 2 || (hex.Length + 1) % 3 != 0)
        {
            throw new SdpParseException(0, "a=fingerprint:" + text, "bad fingerprint digest");
        }

        var bytes = new byte[(hex.Length + 1) / 3];
        for (var i = 0; i < bytes.Length; i++)
        {
            var p = i * 3;
            if ((i > 0 && hex[p - 1] != ':') || !byte.TryParse(hex.AsSpan(p, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                throw new SdpParseException(0, "a=fingerprint:" + text, "bad fingerprint digest");
            }
        }

        var name = text[..space];
        var expected = name.ToUpperInvariant() switch
        {
            "SHA-1" => 20,
            "SHA-224" => 28,
            "SHA-256" => 32,
            "SHA-384" => 48,
            "SHA-512" => 64,
            "MD5" or "MD2" => 16,
            _ => bytes.Length,
        };
        if (expected != bytes.Length)
        {
            throw new SdpParseException(0, "a=fingerprint:" + text, $"a {name} digest has {expected} bytes, not {bytes.Length}");
        }

        return new SdpFingerprint(name, bytes);
    }

    /// <summary>Formats the attribute value, e.g. <c>sha-256 AB:CD:…</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(HashFunction.Length + 1 + (_value.Length * 3));
        sb.Append(HashFunction).Append(' ');
        for (var i = 0; i < _value.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(':');
            }

            sb.Append(_value[i].ToString("X2", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <inheritdoc/>
    public bool Equals(SdpFingerprint? other) => other is not null && Matches(other.HashFunction, other._value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SdpFingerprint);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(HashFunction, StringComparer.OrdinalIgnoreCase);
        h.AddBytes(_value);
        return h.ToHashCode();
    }
}
