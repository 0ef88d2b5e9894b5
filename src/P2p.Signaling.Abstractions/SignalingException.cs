using System.Text.Json;

namespace P2p.Signaling.Abstractions;

/// <summary>
/// A signaling call failed: the server (or a relay's receiver) answered with a JSON-RPC error, or the
/// client library gave up (closed connection, timeout). Throw it from a
/// <see cref="ISignalingChannel.RelayHandler"/> to answer a relay with a specific error.
/// </summary>
public class SignalingException : Exception
{
    /// <summary>Creates an exception with the given code and message.</summary>
    /// <param name="code">The JSON-RPC error code.</param>
    /// <param name="message">The error message.</param>
    public SignalingException(SignalingErrorCode code, string message)
        : this(code, message, null, null)
    {
    }

    /// <summary>Creates an exception with the given code, message, optional error data and inner exception.</summary>
    /// <param name="code">The JSON-RPC error code.</param>
    /// <param name="message">The error message.</param>
    /// <param name="data">The error object's <c>data</c> member, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SignalingException(SignalingErrorCode code, string message, JsonElement? data, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        ErrorData = data;
    }

    /// <summary>Creates an exception with code <see cref="SignalingErrorCode.InternalError"/>.</summary>
    public SignalingException()
        : this(SignalingErrorCode.InternalError, "Signaling failed.")
    {
    }

    /// <summary>Creates an exception with code <see cref="SignalingErrorCode.InternalError"/>.</summary>
    /// <param name="message">The error message.</param>
    public SignalingException(string message)
        : this(SignalingErrorCode.InternalError, message)
    {
    }

    /// <summary>Creates an exception with code <see cref="SignalingErrorCode.InternalError"/>.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The cause.</param>
    public SignalingException(string message, Exception? innerException)
        : this(SignalingErrorCode.InternalError, message, null, innerException)
    {
    }

    /// <summary>The JSON-RPC error code (possibly a value not named in <see cref="SignalingErrorCode"/>).</summary>
    public SignalingErrorCode Code { get; }

    /// <summary>The error object's <c>data</c> member, if it had one.</summary>
    public JsonElement? ErrorData { get; }

    /// <summary>The error as the JSON-RPC error object it travels as.</summary>
    public SignalingError ToError() => new((int)Code, Message, ErrorData);

    /// <summary>Creates the exception for a JSON-RPC error object received from the other side.</summary>
    /// <param name="error">The error object.</param>
    public static SignalingException FromError(SignalingError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new SignalingException((SignalingErrorCode)error.Code, error.Message, error.Data);
    }
}
