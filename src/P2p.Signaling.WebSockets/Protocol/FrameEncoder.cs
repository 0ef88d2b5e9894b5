using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// Writes one complete WebSocket text frame (RFC 6455 section 5.2: FIN, opcode 1, the MASK bit, a 7/16/64-bit
/// length, for a client a 4-byte masking key, the payload, masked by a client). Masking keys come from
/// <see cref="RandomNumberGenerator"/>, fetched a block at a time per thread rather than once per frame.
/// </summary>
internal static class FrameEncoder
{
    /// <summary>The largest header: 2 bytes, a 64-bit length, the masking key.</summary>
    public const int MaxHeaderLength = 2 + 8 + 4;

    private const int KeyBlockLength = 1024;

    [ThreadStatic]
    private static byte[]? t_keys;

    [ThreadStatic]
    private static int t_keyIndex;

    /// <summary>The bytes <see cref="WriteTextFrame(ReadOnlySpan{byte}, Span{byte})"/> needs at most for <paramref name="payloadLength"/> bytes of payload.</summary>
    public static int MaxFrameLength(int payloadLength) => payloadLength + MaxHeaderLength;

    /// <summary>Writes <paramref name="payload"/> as one masked text frame at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteTextFrame(ReadOnlySpan<byte> payload, Span<byte> destination) =>
        WriteTextFrame(payload, destination, NextKey());

    /// <summary>Writes <paramref name="payload"/> as one unmasked text frame (server to client) at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteUnmaskedTextFrame(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var header = WriteHeader(payload.Length, destination, masked: false);
        payload.CopyTo(destination[header..]);
        return header + payload.Length;
    }

    /// <summary>As <see cref="WriteTextFrame(ReadOnlySpan{byte}, Span{byte})"/> with a given masking key (for tests).</summary>
    public static int WriteTextFrame(ReadOnlySpan<byte> payload, Span<byte> destination, uint key)
    {
        var header = WriteHeader(payload.Length, destination, masked: true);
        MemoryMarshal.Write(destination[header..], in key);
        header += 4;
        Mask(payload, destination.Slice(header, payload.Length), key);
        return header + payload.Length;
    }

    /// <summary>FIN, text, the mask bit and the shortest length encoding; returns the header's length (without a masking key).</summary>
    private static int WriteHeader(int length, Span<byte> destination, bool masked)
    {
        var maskBit = masked ? 0x80 : 0;
        destination[0] = 0x81; // FIN, text
        if (length < 126)
        {
            destination[1] = (byte)(maskBit | length);
            return 2;
        }

        if (length <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
            return 4;
        }

        destination[1] = (byte)(maskBit | 127);
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)length);
        return 10;
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> XOR-ed with the key, byte i with key byte i mod 4 (in memory order).</summary>
    public static void Mask(ReadOnlySpan<byte> source, Span<byte> destination, uint key)
    {
        var wide = ((ulong)key << 32) | key;
        var i = 0;
        var longs = MemoryMarshal.Cast<byte, ulong>(source[..(source.Length & ~7)]);
        var longsOut = MemoryMarshal.Cast<byte, ulong>(destination[..(source.Length & ~7)]);
        for (; i < longs.Length; i++)
        {
            longsOut[i] = longs[i] ^ wide;
        }

        i *= 8;
        Span<byte> keyBytes = stackalloc byte[4];
        MemoryMarshal.Write(keyBytes, in key);
        for (; i < source.Length; i++)
        {
            destination[i] = (byte)(source[i] ^ keyBytes[i & 3]);
        }
    }

    private static uint NextKey()
    {
        var keys = t_keys;
        var index = t_keyIndex;
        if (keys is null || index + 4 > keys.Length)
        {
            keys = t_keys ??= new byte[KeyBlockLength];
            RandomNumberGenerator.Fill(keys);
            index = 0;
        }

        t_keyIndex = index + 4;
        return MemoryMarshal.Read<uint>(keys.AsSpan(index));
    }
}
