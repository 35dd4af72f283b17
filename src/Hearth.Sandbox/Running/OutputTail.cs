using System.Buffers;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Follows one of a sandbox's output files from an offset and hands its pieces on. The command writes the file itself
/// (no pipe, no process of the agent's in between), so its output survives the agent; the tail reads what is there,
/// then polls: after a quarter of the time it has been quiet (at least 2 ms, at most 25 ms), so a line comes at most a
/// quarter of the pause before it (or 25 ms) late, and an idle tail costs 40 empty reads a second. An unfinished line
/// waiting for <see cref="PendingLimit"/> is delivered as it is (a progress bar's <c>\r42%</c>), so that it reaches the
/// log within a quarter of a second. Once the sandbox's tree is gone, what is left is read to the end.
/// </summary>
internal sealed class OutputTail(
    SandboxFiles files,
    OutputStream stream,
    long from,
    int maxLineBytes,
    SerializedOutput output,
    TimeProvider time
)
{
    public static readonly TimeSpan PendingLimit = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan LastPoll = TimeSpan.FromMilliseconds(25);

    /// <param name="ended">Completes once nothing in the sandbox can write any more.</param>
    public async Task RunAsync(Task ended, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var cutter = new PieceCutter(stream, maxLineBytes, from);
        var pieces = new List<OutputPiece>();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            FileStream file;
            try
            {
                file = new FileStream(
                    files.PathOf(stream),
                    FileMode.Open,
                    FileAccess.Read,
                    FileShare.ReadWrite | FileShare.Delete,
                    bufferSize: 0
                );
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return; // a sandbox destroyed without its records
            }
            using var _ = file;
            file.Position = from;
            var lastData = time.GetTimestamp();
            long pendingSince = 0;
            while (true)
            {
                // Looked at before the read, so that a read after the end has seen everything ever written.
                var over = ended.IsCompleted;
                var read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read > 0)
                {
                    var hadPending = cutter.HasPending;
                    cutter.Feed(buffer.AsSpan(0, read), pieces);
                    if (cutter.HasPending && (!hadPending || pieces.Count > 0))
                        pendingSince = time.GetTimestamp();
                    lastData = time.GetTimestamp();
                }
                else if (over)
                {
                    cutter.End(pieces);
                    await DeliverAsync(pieces, cancellationToken).ConfigureAwait(false);
                    return;
                }
                if (cutter.HasPending && time.GetElapsedTime(pendingSince) >= PendingLimit)
                    cutter.FlushPending(pieces);
                await DeliverAsync(pieces, cancellationToken).ConfigureAwait(false);
                if (read > 0)
                    continue;
                var poll = Math.Clamp(time.GetElapsedTime(lastData).Ticks / 4, FirstPoll.Ticks, LastPoll.Ticks);
                await Task.WhenAny(ended, Task.Delay(TimeSpan.FromTicks(poll), time, cancellationToken))
                    .ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task DeliverAsync(List<OutputPiece> pieces, CancellationToken cancellationToken)
    {
        foreach (var piece in pieces)
            await output.WriteAsync(piece, cancellationToken).ConfigureAwait(false);
        pieces.Clear();
    }
}
