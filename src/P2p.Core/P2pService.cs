using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using P2p.Core.Diagnostics;
using P2p.Core.Mesh;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core;

/// <summary>
/// The <see cref="IService"/> over a signaling channel and a transport. It owns the signaling channel: it
/// installs the channel's <see cref="ISignalingChannel.RelayHandler"/>, listens to its membership events,
/// and disposes it on <see cref="DisposeAsync"/>.
/// </summary>
/// <example>
/// <code>
/// await using var service = new P2pService(signaling, transport);
/// var group = await service.JoinGroupAsync(groupId, new GroupOptions
/// {
///     MessageHandler = (from, data, ct) => { Console.WriteLine($"{from.Id}: {data.Length} bytes"); return ValueTask.CompletedTask; },
/// });
/// await group.BroadcastAsync("hello"u8.ToArray());
/// </code>
/// </example>
public sealed class P2pService : IService
{
    private readonly ISignalingChannel _signaling;
    private readonly IPeerConnectionFactory _transport;
    private readonly P2pOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, MeshGroup> _groups = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _joinLock = new(1, 1);
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IceServerCache? _iceServers;
    private volatile ServiceInfo? _info;
    private int _disposing;

    /// <summary>Creates the service. Nothing is sent until <see cref="JoinAsync"/> or a group call.</summary>
    /// <param name="signaling">A connected signaling channel (e.g. <c>WebSocketSignalingChannel</c>); the service owns it from now on.</param>
    /// <param name="transport">Creates the peer connections.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    public P2pService(ISignalingChannel signaling, IPeerConnectionFactory transport, P2pOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(signaling);
        ArgumentNullException.ThrowIfNull(transport);
        _signaling = signaling;
        _transport = transport;
        _options = (options ?? new P2pOptions()).Validated();
        _logger = _options.LoggerFactory.CreateLogger("P2p.Core.Service");
        _signaling.RelayHandler = OnRelayAsync;
        _signaling.MemberJoined += OnMemberJoined;
        _signaling.MemberLeft += OnMemberLeft;
        _signaling.Closed += OnSignalingClosed;
        _signaling.Reconnecting += OnSignalingReconnecting;
        _signaling.Reconnected += OnSignalingReconnected;
        if (transport.IceServersFromSignaling)
        {
            _iceServers = new IceServerCache(signaling, _options.TimeProvider, _logger);
        }
    }

    /// <inheritdoc />
    public ServiceInfo? Info => _info;

    /// <inheritdoc />
    public IReadOnlyCollection<IGroup> Groups => [.. _groups.Values];

    /// <inheritdoc />
    public event EventHandler<SignalingClosedEventArgs>? SignalingClosed;

    /// <inheritdoc />
    public event EventHandler<SignalingReconnectingEventArgs>? SignalingReconnecting;

    /// <inheritdoc />
    public event EventHandler? SignalingReconnected;

    /// <summary>When set, a group's disposal disposes this service too (<see cref="Group"/>'s single-group mode).</summary>
    internal bool DisposeWithGroup { get; set; }

    /// <summary>The group with this id (for tests).</summary>
    internal MeshGroup? GetGroup(string groupId) => _groups.GetValueOrDefault(groupId);

    /// <inheritdoc />
    public async Task<ServiceInfo> JoinAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_info is { } known)
        {
            return known;
        }

        await _joinLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_info is null)
            {
                var id = _signaling.UserId ?? await _signaling.InitAsync(cancellationToken).ConfigureAwait(false);
                if (_iceServers is not null)
                {
                    await _iceServers.InitializeAsync(cancellationToken).ConfigureAwait(false);
                }

                _info = new ServiceInfo(id);
                _logger.LogInformation("Joined the signaling service as {UserId}", id);
            }

            return _info;
        }
        finally
        {
            _joinLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IGroup> CreateGroupAsync(GroupCapability capability, GroupOptions? options = null, CancellationToken cancellationToken = default)
    {
        if ((int)capability is < 0 or > (int)GroupCapability.All)
        {
            throw new ArgumentOutOfRangeException(nameof(capability), capability, "A capability is a combination of the four GroupCapability flags.");
        }

        using var activity = CoreMetrics.Source.StartActivity("p2p.group.create", ActivityKind.Client);
        activity?.SetTag("p2p.group.capability", capability.ToString());
        try
        {
            var me = await JoinAsync(cancellationToken).ConfigureAwait(false);
            var groupOptions = PrepareOptions(options);
            var groupId = await _signaling.CreateGroupAsync((int)capability, cancellationToken).ConfigureAwait(false);
            activity?.SetTag(CoreMetrics.GroupIdTag, groupId).SetTag(CoreMetrics.LocalMemberTag, me.Id);
            var group = NewGroup(groupId, me.Id, groupOptions);
            if (!_groups.TryAdd(groupId, group))
            {
                await group.ShutdownAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"The server returned the id of a group this service is already in: {groupId}.");
            }

            group.Initialize(new GroupInfo(groupId, me.Id, (int)capability, [me.Id]));
            activity?.SetStatus(ActivityStatusCode.Ok);
            return group;
        }
        catch (Exception ex)
        {
            CoreMetrics.Fail(activity, ex);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<IGroup> JoinGroupAsync(string groupId, GroupOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        using var activity = CoreMetrics.Source.StartActivity("p2p.group.join", ActivityKind.Client);
        activity?.SetTag(CoreMetrics.GroupIdTag, groupId);
        try
        {
            var group = await JoinGroupCoreAsync(groupId, options, activity, cancellationToken).ConfigureAwait(false);
            activity?.SetStatus(ActivityStatusCode.Ok);
            return group;
        }
        catch (Exception ex)
        {
            CoreMetrics.Fail(activity, ex);
            throw;
        }
    }

    private async Task<IGroup> JoinGroupCoreAsync(string groupId, GroupOptions? options, Activity? activity, CancellationToken cancellationToken)
    {
        var me = await JoinAsync(cancellationToken).ConfigureAwait(false);
        activity?.SetTag(CoreMetrics.LocalMemberTag, me.Id);
        var group = NewGroup(groupId, me.Id, PrepareOptions(options));

        // Registered before joining: offers from members who join right after us can arrive before get_group answers.
        if (!_groups.TryAdd(groupId, group))
        {
            await group.ShutdownAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"This service is already a member of group {groupId}.");
        }

        var joined = false;
        try
        {
            await _signaling.JoinGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
            joined = true;
            var info = await _signaling.GetGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
            group.Initialize(info);
            activity?.SetTag("p2p.group.member_count", info.Members.Count);
            return group;
        }
        catch
        {
            if (joined)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(_options.LeaveTimeout, _options.TimeProvider);
                    await _signaling.LeaveGroupAsync(groupId, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _logger.LogWarning("Could not leave group {GroupId} after a failed join: {Reason}", groupId, ex.Message);
                }
            }

            await group.ShutdownAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public Task CloseAsync(CancellationToken cancellationToken = default) => CloseCoreAsync(cancellationToken);

    /// <summary>Leaves every group, closes the signaling channel and stops all background work.</summary>
    public async ValueTask DisposeAsync() => await CloseCoreAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task CloseCoreAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            await _disposed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await Task.WhenAll(_groups.Values.Select(g => g.LeaveAsync(cancellationToken))).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning("Leaving the groups failed: {Reason}", ex.Message);
        }

        _signaling.RelayHandler = null;
        _signaling.MemberJoined -= OnMemberJoined;
        _signaling.MemberLeft -= OnMemberLeft;
        _signaling.Closed -= OnSignalingClosed;
        _signaling.Reconnecting -= OnSignalingReconnecting;
        _signaling.Reconnected -= OnSignalingReconnected;
        _iceServers?.Dispose();
        await _signaling.DisposeAsync().ConfigureAwait(false);
        _logger.LogInformation("Closed");
        _disposed.TrySetResult();
    }

    private MeshGroup NewGroup(string groupId, string localId, GroupOptions options) =>
        new(groupId, localId, _signaling, _transport, _options, options, OnGroupClosedAsync, _iceServers is { } cache ? () => cache.Current : null);

    private async ValueTask OnGroupClosedAsync(MeshGroup group)
    {
        _groups.TryRemove(new KeyValuePair<string, MeshGroup>(group.Id, group));
        if (DisposeWithGroup && _groups.IsEmpty && Volatile.Read(ref _disposing) == 0)
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    private GroupOptions PrepareOptions(GroupOptions? options)
    {
        ThrowIfDisposed();
        var copy = (options ?? _options.DefaultGroupOptions).Clone();
        copy.Validate();
        return copy;
    }

    private ValueTask<JsonElement> OnRelayAsync(RelayRequest relay, CancellationToken cancellationToken)
    {
        if (!_groups.TryGetValue(relay.GroupId, out var group))
        {
            _logger.LogDebug("Refused a relay from {UserId} for group {GroupId}, which this service is not a member of", relay.FromUserId, relay.GroupId);
            throw new SignalingException((SignalingErrorCode)RelayMessages.NotInGroupCode, $"User {_info?.Id} is not a member of group {relay.GroupId}.");
        }

        return group.OnRelayAsync(relay.FromUserId, relay.Data, cancellationToken);
    }

    private void OnMemberJoined(object? sender, SignalingMemberEventArgs e)
    {
        if (_groups.TryGetValue(e.GroupId, out var group))
        {
            group.OnMemberJoined(e.UserId);
        }
    }

    private void OnMemberLeft(object? sender, SignalingMemberEventArgs e)
    {
        if (_groups.TryGetValue(e.GroupId, out var group))
        {
            group.OnMemberLeft(e.UserId);
        }
    }

    private void OnSignalingReconnecting(object? sender, SignalingReconnectingEventArgs e)
    {
        _logger.LogWarning("The signaling connection dropped ({Reason}); reconnecting. Connected members stay connected", e.Reason);
        Raise(() => SignalingReconnecting?.Invoke(this, e), nameof(SignalingReconnecting));
    }

    private void OnSignalingReconnected(object? sender, EventArgs e)
    {
        _logger.LogInformation("The signaling connection is back (user id {UserId} kept)", _signaling.UserId);
        foreach (var group in _groups.Values)
        {
            group.OnSignalingReconnected();
        }

        Raise(() => SignalingReconnected?.Invoke(this, EventArgs.Empty), nameof(SignalingReconnected));
    }

    private void OnSignalingClosed(object? sender, SignalingClosedEventArgs e)
    {
        _logger.LogWarning("The signaling connection closed: {Reason}", e.Reason);
        foreach (var group in _groups.Values)
        {
            group.OnSignalingClosed();
        }

        Raise(() => SignalingClosed?.Invoke(this, e), nameof(SignalingClosed));
    }

    /// <summary>Raises an event of the application's; a handler that throws is logged, never let out onto the signaling thread.</summary>
    private void Raise(Action raise, string name)
    {
        try
        {
            raise();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A {Event} handler failed", name);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposing) != 0, this);
}
