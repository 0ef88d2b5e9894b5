using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace P2p.Signaling.Server.Sessions;

/// <summary>
/// Issues and verifies the self-verifying tokens of <c>get_resume_token</c>/<c>resume</c>:
/// base64url of <c>version (1 byte, 1) | user id (16 bytes) | issued at (8 bytes, Unix ms, big endian) |
/// HMAC-SHA256(key, the 25 bytes before | the UTF-8 principal) truncated to 16 bytes</c>. The principal (the
/// authenticated identity of the connection that asked, empty without authentication) is not in the token but under
/// its MAC, so a token only verifies on a connection authenticated as the same principal. The server keeps no state
/// per token. Tokens and the key are never logged.
/// </summary>
internal sealed class ResumeTokens
{
    private const byte Version = 1;
    private const int BodyLength = 1 + 16 + 8;
    private const int MacLength = 16;
    private const int TokenLength = BodyLength + MacLength;

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    /// <param name="key">The HMAC key (at least 16 bytes).</param>
    /// <param name="time">The clock for the issued-at stamp.</param>
    public ResumeTokens(byte[] key, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(key.Length, 16, nameof(key));
        _key = key;
        _time = time;
    }

    /// <summary>A token for <paramref name="userId"/> (32 lowercase hex characters), bound to <paramref name="principal"/>.</summary>
    public string Issue(string userId, string principal = "")
    {
        Span<byte> token = stackalloc byte[TokenLength];
        token[0] = Version;
        if (Convert.FromHexString(userId, token.Slice(1, 16), out _, out var written) != OperationStatus.Done || written != 16)
        {
            throw new ArgumentException("A user id is 32 hexadecimal characters.", nameof(userId));
        }

        BinaryPrimitives.WriteInt64BigEndian(token.Slice(17, 8), _time.GetUtcNow().ToUnixTimeMilliseconds());
        Mac(token[..BodyLength], principal, token[BodyLength..]);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>Verifies a token presented by <paramref name="principal"/>; on success returns the user id it names. <paramref name="problem"/> says why not.</summary>
    public bool TryVerify(string token, out string userId, out string problem, string principal = "")
    {
        userId = "";
        Span<byte> bytes = stackalloc byte[TokenLength];
        if (token.Length != Base64Url.GetEncodedLength(TokenLength) || !TryDecode(token, bytes) || bytes[0] != Version)
        {
            problem = "malformed token";
            return false;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        Mac(bytes[..BodyLength], principal, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.Slice(BodyLength, MacLength)))
        {
            problem = "the token does not verify (issued by a server with another resume key, or to another authenticated user?)";
            return false;
        }

        userId = Convert.ToHexStringLower(bytes.Slice(1, 16));
        problem = "";
        return true;
    }

    private static bool TryDecode(string token, Span<byte> bytes)
    {
        try
        {
            return Base64Url.TryDecodeFromChars(token, bytes, out var length) && length == TokenLength;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private void Mac(ReadOnlySpan<byte> body, string principal, Span<byte> destination)
    {
        var input = new byte[body.Length + System.Text.Encoding.UTF8.GetByteCount(principal)];
        body.CopyTo(input);
        System.Text.Encoding.UTF8.GetBytes(principal, input.AsSpan(body.Length));
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, input, full);
        full[..MacLength].CopyTo(destination);
    }
}
