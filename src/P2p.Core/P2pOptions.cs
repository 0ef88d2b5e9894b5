using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace P2p.Core;

/// <summary>Settings of a <see cref="P2pService"/>: logging, time, and how connections to members are made and retried.</summary>
public sealed class P2pOptions
{
    /// <summary>Where the SDK logs (scopes carry the group and member ids). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>The clock for timeouts and retry delays (tests pass a fake one). Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How long one connection attempt to a member may take, from its start to an open channel. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a connected link may go without any sign of life from the other member before it is reported
    /// <see cref="PeerState.Interrupted"/> (the transport probes the path several times within this time: WebRTC
    /// sends consent checks, RFC 7675, every 0.4 of it). Default 2.5 s.
    /// </summary>
    public TimeSpan InterruptionTimeout { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary>
    /// How long an <see cref="PeerState.Interrupted"/> link may take to recover (through ICE restarts) before the
    /// member is reported <see cref="PeerState.Failed"/> and a new connection is attempted. Default 15 s.
    /// </summary>
    public TimeSpan RecoveryTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// While a link is interrupted, how long to wait for one ICE restart to restore it before trying another. Default 4 s.
    /// </summary>
    public TimeSpan IceRestartInterval { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>The delay before the first retry after a failed attempt; doubled after every further failure. Default 500 ms.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between retries. Default 30 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Random spread of retry delays, 0..1 (0.2: each delay is scaled by a random factor in [0.8, 1.2]) so
    /// that members do not retry in lock step. Default 0.2.
    /// </summary>
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>
    /// How long leaving a group (and disposal) waits for each of these in turn: the connected members to acknowledge what
    /// this member sent them, the signaling server, and running handlers. Default 5 s.
    /// </summary>
    public TimeSpan LeaveTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Settings used for a group when <c>CreateGroupAsync</c>/<c>JoinGroupAsync</c> get none.</summary>
    public GroupOptions DefaultGroupOptions { get; set; } = new();

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first invalid one.</summary>
    public void Validate() => Validated();

    internal P2pOptions Validated()
    {
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(DefaultGroupOptions, nameof(DefaultGroupOptions));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InterruptionTimeout, TimeSpan.Zero, nameof(InterruptionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RecoveryTimeout, TimeSpan.Zero, nameof(RecoveryTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IceRestartInterval, TimeSpan.Zero, nameof(IceRestartInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryInitialDelay, TimeSpan.Zero, nameof(RetryInitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryInitialDelay, nameof(RetryMaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryJitter, 0, nameof(RetryJitter));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RetryJitter, 1, nameof(RetryJitter));
        ArgumentOutOfRangeException.ThrowIfLessThan(LeaveTimeout, TimeSpan.Zero, nameof(LeaveTimeout));
        DefaultGroupOptions.Validate();
        return this;
    }
}
