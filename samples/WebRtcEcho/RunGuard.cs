namespace WebRtcEcho;

/// <summary>
/// What the run is waiting for (for the timeout message) and the first fatal error raised in the
/// background (a bad offer on the input thread, a failed connection on the network thread), which
/// ends whatever the run is waiting for.
/// </summary>
internal sealed class RunGuard
{
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string _phase = "starting";

    /// <summary>Describes progress within the phase (e.g. bytes back so far); optional.</summary>
    public Func<string>? Progress { get; set; }

    /// <summary>The phase, for "timed out … while {Phase}".</summary>
    public string Phase
    {
        get => Progress is { } progress ? $"{_phase} ({progress()})" : _phase;
        set => _phase = value;
    }

    /// <summary>The first fatal error, once there is one.</summary>
    public EchoException? Error => _aborted.Task.Exception?.InnerException as EchoException;

    /// <summary>Ends the run with <paramref name="error"/> unless it already ended.</summary>
    public void Abort(EchoException error) => _aborted.TrySetException(error);

    /// <summary>Ends the run when <paramref name="task"/> fails (cancellation is not a failure).</summary>
    public void Observe(Task task) => task.ContinueWith(
        t =>
        {
            var error = t.Exception?.InnerException;
            if (error is EchoException echo)
            {
                Abort(echo);
            }
            else if (error is not null and not OperationCanceledException)
            {
                Abort(new EchoException(ExitCode.Failed, $"internal error: {error}"));
            }
        },
        CancellationToken.None,
        TaskContinuationOptions.ExecuteSynchronously,
        TaskScheduler.Default);

    /// <summary>Waits for <paramref name="task"/>, a fatal error, or cancellation (the timeout), whichever comes first; a non-null <paramref name="phase"/> becomes <see cref="Phase"/>.</summary>
    public async Task WaitAsync(Task task, string? phase, CancellationToken cancellationToken)
    {
        if (phase is not null)
        {
            Phase = phase;
        }

        var first = await Task.WhenAny(task, _aborted.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
        await first.ConfigureAwait(false);
        await task.ConfigureAwait(false);
    }

    /// <inheritdoc cref="WaitAsync(Task, string?, CancellationToken)"/>
    public async ValueTask WaitAsync(ValueTask task, string? phase, CancellationToken cancellationToken)
    {
        if (phase is not null)
        {
            Phase = phase;
        }

        if (!task.IsCompletedSuccessfully)
        {
            await WaitAsync(task.AsTask(), phase, cancellationToken).ConfigureAwait(false);
        }
    }
}
