namespace Hearth.Store.Changes;

/// <summary>The feed of a store only one server opens (SQLite): there is nobody else to tell.</summary>
public sealed class LocalChangeFeed : IChangeFeed
{
    public void Publish(string key) { }

    public async Task ListenAsync(Action<string> changed, Action resync, CancellationToken ct)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) { }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
