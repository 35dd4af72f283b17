namespace Hearth.Sandbox.Oci.Images;

/// <summary>
/// Runs one piece of work per key at a time: callers asking for a key already in flight join it (and its
/// progress) instead of starting it again. The work is cancelled only when every caller waiting on it has
/// cancelled.
/// </summary>
internal sealed class SingleFlight
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Flight> _flights = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="key"/> is being worked on.</summary>
    public bool IsInFlight(string key)
    {
        lock (_gate)
            return _flights.ContainsKey(key);
    }

    /// <summary>True when some key <paramref name="match"/> accepts is being worked on.</summary>
    public bool IsInFlight(Func<string, bool> match)
    {
        lock (_gate)
            return _flights.Keys.Any(match);
    }

    /// <param name="joined">Called (before waiting) when this caller joined work another caller started.</param>
    public async Task RunAsync(
        string key,
        Func<IProgress<long>, CancellationToken, Task> work,
        IProgress<long>? progress,
        Action? joined,
        CancellationToken cancellationToken
    )
    {
        Flight flight;
        bool owner;
        lock (_gate)
        {
            owner = !_flights.TryGetValue(key, out flight!);
            if (owner)
            {
                flight = new Flight();
                _flights[key] = flight;
            }
            flight.Waiters++;
            if (progress is not null)
                flight.Fanout.Add(progress);
        }

        if (owner)
            _ = RunOwnedAsync(key, flight, work);
        else
            joined?.Invoke();

        try
        {
            await flight.Completion.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (--flight.Waiters == 0 && !flight.Completion.Task.IsCompleted)
                {
                    // Nobody wants it any more: stop it, and let the next caller start afresh.
                    if (_flights.TryGetValue(key, out var current) && current == flight)
                        _flights.Remove(key);
                    flight.Cancellation.Cancel();
                }
            }
            throw;
        }
        finally
        {
            if (progress is not null)
                flight.Fanout.Remove(progress);
        }
    }

    private async Task RunOwnedAsync(string key, Flight flight, Func<IProgress<long>, CancellationToken, Task> work)
    {
        try
        {
            await Task.Yield();
            await work(flight.Fanout, flight.Cancellation.Token);
            flight.Completion.TrySetResult();
        }
        catch (Exception e)
        {
            flight.Completion.TrySetException(e);
        }
        finally
        {
            lock (_gate)
            {
                if (_flights.TryGetValue(key, out var current) && current == flight)
                    _flights.Remove(key);
            }
        }
    }

    private sealed class Flight
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenSource Cancellation { get; } = new();
        public ProgressFanout Fanout { get; } = new();
        public int Waiters { get; set; }
    }

    private sealed class ProgressFanout : IProgress<long>
    {
        private readonly Lock _gate = new();
        private readonly List<IProgress<long>> _subscribers = [];
        private long _last;

        public void Add(IProgress<long> subscriber)
        {
            lock (_gate)
            {
                _subscribers.Add(subscriber);
                if (_last > 0)
                    subscriber.Report(_last);
            }
        }

        public void Remove(IProgress<long> subscriber)
        {
            lock (_gate)
                _subscribers.Remove(subscriber);
        }

        public void Report(long value)
        {
            lock (_gate)
            {
                _last = value;
                foreach (var subscriber in _subscribers)
                    subscriber.Report(value);
            }
        }
    }
}
