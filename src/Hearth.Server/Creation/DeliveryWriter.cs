using System.Threading.Channels;
using Hearth.Server.Telemetry;
using Hearth.Store;

namespace Hearth.Server.Creation;

/// <summary>
/// Group commit for webhook deliveries. Requests queue their delivery (with the runs it starts) to this one writer,
/// which takes whatever is queued when it is free and records it in one transaction, so one commit (one fsync) serves
/// them all, then completes each request's task: no request is answered before its own delivery is durable. There is
/// no timer: a lone delivery is written at once, and the ones that arrive while a batch commits make the next batch.
/// A delivery that fails inside a batch is rolled back alone (a savepoint) and recorded again on its own, so its error,
/// or the other server's recording that won a race, is its own answer; a batch whose commit fails is retried the same
/// way, one delivery at a time. Stopping refuses new deliveries and writes every one queued before.
/// </summary>
public sealed class DeliveryWriter(
    IRunStore store,
    HearthMetrics metrics,
    TimeProvider time,
    ILogger<DeliveryWriter> logger
) : IHostedService
{
    /// <summary>
    /// At most this many deliveries share a transaction (bounds how long one commit holds the write lock).
    /// </summary>
    public const int MaxBatch = 256;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(
        new UnboundedChannelOptions { SingleReader = true }
    );
    private Task? _loop;

    /// <summary>
    /// Completes once the delivery and its runs are committed (or it was a repeat); faults with the store's error.
    /// </summary>
    /// <exception cref="ServerStoppingException">The server is shutting down and takes no more deliveries.</exception>
    public Task<DeliveryResult> WriteAsync(WebhookDelivery delivery, IReadOnlyList<DeliveryRun> runs)
    {
        var write = new DeliveryWrite(delivery, runs);
        // The rows are built here, on the request's thread, in parallel with the other requests: not by the one writer.
        store.PrepareDelivery(write);
        var pending = new Pending(
            write,
            new TaskCompletionSource<DeliveryResult>(TaskCreationOptions.RunContinuationsAsynchronously)
        );
        if (!_queue.Writer.TryWrite(pending))
            throw new ServerStoppingException();
        return pending.Done.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(LoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Refuses new deliveries, then waits until every queued one is written (or the host's shutdown time is up).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
            await _loop.WaitAsync(cancellationToken);
    }

    private async Task LoopAsync()
    {
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
                batch.Add(next);
            await WriteBatchAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        IReadOnlyList<DeliveryResult?> results;
        try
        {
            var started = time.GetTimestamp();
            results = await store.RecordDeliveriesAsync(batch.ConvertAll(p => p.Write), CancellationToken.None);
            metrics.WebhookBatchWritten(batch.Count, time.GetElapsedTime(started));
        }
        catch (Exception e)
        {
            // The transaction as a whole failed (its commit, the connection): each delivery is tried again on its own.
            logger.LogWarning(
                "a batch of {Count} webhook deliveries failed ({Problem}); recording them one by one",
                batch.Count,
                e.Message
            );
            results = new DeliveryResult?[batch.Count];
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is { } result)
                batch[i].Done.TrySetResult(result);
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is null)
                await WriteAloneAsync(batch[i]);
        }
    }

    private async Task WriteAloneAsync(Pending pending)
    {
        try
        {
            pending.Done.TrySetResult(
                await store.RecordDeliveryAsync(pending.Write.Delivery, pending.Write.Runs, CancellationToken.None)
            );
        }
        catch (Exception e)
        {
            pending.Done.TrySetException(e);
        }
    }

    private sealed record Pending(DeliveryWrite Write, TaskCompletionSource<DeliveryResult> Done);
}

/// <summary>
/// The server is shutting down: the request was not taken (answered 503, so the sender retries elsewhere or later).
/// </summary>
public sealed class ServerStoppingException()
    : InvalidOperationException("the server is shutting down and takes no more deliveries");
