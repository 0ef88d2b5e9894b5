using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Ice;

/// <summary>
/// Raises the agent's events one at a time, in the order they were queued, on a background task:
/// never under the agent's lock, so a handler may call back into the agent (like a browser's task queue).
/// </summary>
internal sealed class IceEventDispatcher
{
    private readonly Channel<Action> _queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly AsyncLocal<bool> _onDispatcher = new();

    public IceEventDispatcher(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Post(Action action) => _queue.Writer.TryWrite(action);

    /// <summary>Lets queued events run, then stops. Does not wait when called from an event handler.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        if (!_onDispatcher.Value)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        _onDispatcher.Value = true;
        await foreach (var action in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                _logger.LogError(e, "An ICE event handler threw");
            }
        }
    }
}
