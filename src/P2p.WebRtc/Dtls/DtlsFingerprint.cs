using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// A certificate fingerprint as carried by the SDP <c>a=fingerprint</c> attribute (RFC 8122 §5):
/// a hash function's textual name and the hash of the DER-encoded certificate as uppercase hex
/// bytes separated by colons, e.g. <c>sha-256 AB:CD:…</c>. Immutable.
/// </summary>
/// <remarks>
/// Any hash-function token parses, so an SDP with an unknown one can still be read; only
/// <c>sha-1</c>, <c>sha-256</c>, <c>sha-384</c> and <c>sha-512</c> can be computed and matched
/// (<see cref="IsSupported"/>). <c>md5</c>/<c>md2</c> are never matched.
/// </remarks>
public sealed class DtlsFingerprint : IEquatable<DtlsFingerprint>
{
    /// <summary>The textual name of SHA-1 (RFC 8122 §5; accepted, but weaker than <see cref="Sha256"/>).</summary>
    public const string Sha1 = "sha-1";

    /// <summary>The textual name of SHA-256, the hash WebRTC endpoints use (RFC 8827 §6.5).</summary>
    public const string Sha256 = "sha-256";

    /// <summary>The textual name of SHA-384.</summary>
    public const string Sha384 = "sha-384";

    /// <summary>The textual name of SHA-512.</summary>
    public const string Sha512 = "sha-512";

    private readonly byte[] _value;

    private DtlsFingerprint(string algorithm, byte[] value)
    {
        Algorithm = algorithm;
        _value = value;
    }

    /// <summary>The hash function's textual name, lower case (e.g. <c>sha-256</c>).</summary>
    public string Algorithm { get; }

    /// <summary>The hash bytes.</summary>
    public ReadOnlyMemory<byte> Value => _value;

    /// <summary>True when this fingerprint's hash function can be computed and matched here.</summary>
    public bool IsSupported => HashLength(Algorithm) > 0;

    /// <summary>The hash bytes in SDP form: uppercase hex pairs separated by colons.</summary>
    public string ValueText => FormatHex(_value);

    /// <summary>Computes the fingerprint of a DER-encoded certificate.</summary>
    /// <param name="algorithm">A supported hash function name (e.g. <see cref="Sha256"/>), case-insensitive.</param>
    /// <param name="certificateDer">The certificate's DER encoding.</param>
    /// <returns>The fingerprint.</returns>
    /// <exception cref="NotSupportedException">The hash function is not supported.</exception>
    public static DtlsFingerprint Compute(string algorithm, ReadOnlySpan<byte> certificateDer)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        var name = algorithm.ToLowerInvariant();
        var length = HashLength(name);
        if (length == 0)
        {
            throw new NotSupportedException($"Fingerprint hash function '{algorithm}' is not supported (use {Sha256}).");
        }

        var value = new byte[length];
        Hash(name, certificateDer, value);
        return new DtlsFingerprint(name, value);
    }

    /// <summary>Parses the value of an SDP <c>a=fingerprint</c> attribute, e.g. <c>sha-256 AB:CD:…</c>.</summary>
    /// <param name="attributeValue">The attribute value: hash function name, white space, hex pairs with colons.</param>
    /// <returns>The fingerprint.</returns>
    /// <exception cref="FormatException">The text is not a valid fingerprint.</exception>
    public static DtlsFingerprint Parse(string attributeValue) =>
        TryParse(attributeValue, out var fingerprint, out var error)
            ? fingerprint
            : throw new FormatException(error);

    /// <summary>Parses a hash function name and a colon-separated hex value.</summary>
    /// <param name="algorithm">The hash function's textual name (case-insensitive).</param>
    /// <param name="value">The hex pairs separated by colons (either case accepted).</param>
    /// <returns>The fingerprint.</returns>
    /// <exception cref="FormatException">The text is not a valid fingerprint.</exception>
    public static DtlsFingerprint Parse(string algorithm, string value) =>
        TryParse(algorithm, value, out var fingerprint, out var error)
            ? fingerprint
            : throw new FormatException(error);

    /// <summary>Tries to parse the value of an SDP <c>a=fingerprint</c> attribute.</summary>
    /// <param name="attributeValue">The attribute value, e.g. <c>sha-256 AB:CD:…</c>.</param>
    /// <param name="fingerprint">The fingerprint, when the text is valid.</param>
    /// <returns>True when the text is valid.</returns>
    public static bool TryParse([NotNullWhen(true)] string? attributeValue, [NotNullWhen(true)] out DtlsFingerprint? fingerprint) =>
        TryParse(attributeValue, out fingerprint, out _);

    /// <summary>True when two fingerprints have the same hash function and the same hash bytes.</summary>
    /// <param name="other">The other fingerprint.</param>
    /// <returns>True when equal.</returns>
    public bool Equals(DtlsFingerprint? other) =>
        other is not null
        && string.Equals(Algorithm, other.Algorithm, StringComparison.Ordinal)
        && _value.AsSpan().SequenceEqual(other._value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as DtlsFingerprint);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(Algorithm, StringComparer.Ordinal);
        hash.AddBytes(_value);
        return hash.ToHashCode();
    }

    /// <summary>True when a DER-encoded certificate has this fingerprint (constant-time comparison).</summary>
    /// <param name="certificateDer">The certificate's DER encoding.</param>
    /// <returns>True on a match; always false for an unsupported hash function.</returns>
    public bool Matches(ReadOnlySpan<byte> certificateDer)
    {
        var length = HashLength(Algorithm);
        if (length == 0 || length != _value.Length)
        {
            return false;
        }

        Span<byte> computed = stackalloc byte[64];
        computed = computed[..length];
        Hash(Algorithm, certificateDer, computed);
        return CryptographicOperations.FixedTimeEquals(computed, _value);
    }

    /// <summary>The SDP attribute value: <c>sha-256 AB:CD:…</c>.</summary>
    /// <returns>The attribute value.</returns>
    public override string ToString() => $"{Algorithm} {ValueText}";

    /// <summary>Equality of two fingerprints.</summary>
    /// <param name="left">The first fingerprint.</param>
    /// <param name="right">The second fingerprint.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(DtlsFingerprint? left, DtlsFingerprint? right) =>
        left is null ? right is null : left.Equals(right);

    /// <summary>Inequality of two fingerprints.</summary>
    /// <param name="left">The first fingerprint.</param>
    /// <param name="right">The second fingerprint.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(DtlsFingerprint? left, DtlsFingerprint? right) => !(left == right);

    /// <summary>
    /// Rank of a hash function for RFC 8122 §5's rule "use the strongest hash function both sides
    /// support": 0 for unsupported ones.
    /// </summary>
    internal static int Strength(string algorithm) => algorithm switch
    {
        Sha1 => 1,
        Sha256 => 2,
        Sha384 => 3,
        Sha512 => 4,
        _ => 0,
    };

    private static int HashLength(string algorithm) => algorithm switch
    {
        Sha1 => SHA1.HashSizeInBytes,
        Sha256 => SHA256.HashSizeInBytes,
        Sha384 => SHA384.HashSizeInBytes,
        Sha512 => SHA512.HashSizeInBytes,
        _ => 0,
    };

    private static void Hash(string algorithm, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        _ = algorithm switch
        {
#pragma warning disable CA5350 // SHA-1 is an RFC 8122 fingerprint hash some peers still send; it is never the only choice here.
            Sha1 => SHA1.HashData(data, destination),
#pragma warning restore CA5350
            Sha256 => SHA256.HashData(data, destination),
            Sha384 => SHA384.HashData(data, destination),
            Sha512 => SHA512.HashData(data, destination),
            _ => throw new NotSupportedException(algorithm),
        };
    }

    private static bool TryParse(string? attributeValue, [NotNullWhen(true)] out DtlsFingerprint? fingerprint, out string error)
    {
        fingerprint = null;
        if (string.IsNullOrWhiteSpace(attributeValue))
        {
            error = "A fingerprint needs a hash function name and a value, e.g. 'sha-256 AB:CD:...'.";
            return false;
        }

        var text = attributeValue.Trim();
        var space = text.IndexOfAny([' ', '\t']);
        if (space < 0)
        {
            error = $"Fingerprint '{attributeValue}' has no value after its hash function name.";
            return false;
        }

        return TryParse(text[..space], text[(space + 1)..].Trim(), out fingerprint, out error);
    }

    // RFC 8122 §5: fingerprint = 2UHEX *(":" 2UHEX); lower case is accepted too (be liberal).
    private static bool TryParse(string? algorithm, string? value, [NotNullWhen(true)] out DtlsFingerprint? fingerprint, out string error)
    {
        fingerprint = null;
        if (string.IsNullOrWhiteSpace(algorithm) || algorithm.Any(c => c <= ' ' || c > '~'))
        {
            error = $"Invalid fingerprint hash function name '{algorithm}'.";
            return false;
        }

        if (string.IsNullOrEmpty(value) || (value.Length + 1) % 3 != 0)
        {
            error = $"Invalid fingerprint value '{value}': expected hex pairs separated by colons.";
            return false;
        }

        var bytes = new byte[(value.Length + 1) / 3];
        for (var i = 0; i < bytes.Length; i++)
        {
            var pair = value.AsSpan(i * 3, 2);
            if ((i * 3) + 2 < value.Length && value[(i * 3) + 2] != ':')
            {
                error = $"Invalid fingerprint value '{value}': expected ':' between hex pairs.";
                return false;
            }

            if (!byte.TryParse(pair, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                error = $"Invalid fingerprint value '{value}': '{pair}' is not a hex byte.";
                return false;
            }
        }

        var name = algorithm.ToLowerInvariant();
        var expected = HashLength(name);
        if (expected != 0 && expected != bytes.Length)
        {
            error = $"Invalid {name} fingerprint: {bytes.Length} bytes instead of {expected}.";
            return false;
        }

        fingerprint = new DtlsFingerprint(name, bytes);
        error = string.Empty;
        return true;
    }

    private static string FormatHex(byte[] value)
    {
        if (value.Length == 0)
        {
            return string.Empty;
        }

        return string.Create((value.Length * 3) - 1, value, static (chars, bytes) =>
        {
            const string Digits = "0123456789ABCDEF";
            for (var i = 0; i < bytes.Length; i++)
            {
                var at = i * 3;
                chars[at] = Digits[bytes[i] >> 4];
                chars[at + 1] = Digits[bytes[i] & 0xF];
                if (at + 2 < chars.Length)
                {
                    chars[at + 2] = ':';
                }
            }
        });
    }
}
