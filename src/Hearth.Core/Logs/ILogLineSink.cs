namespace Hearth.Core.Logs;

/// <summary>
/// Takes a page of a run's log line by line while the store reads it, so a page of ten thousand lines is written out
/// as it is read instead of being held as objects first.
/// </summary>
public interface ILogLineSink
{
    /// <param name="step">
    /// The workflow step that wrote the line; null for any other kind of task and for the run's own lines.
    /// </param>
    void Write(long seq, DateTimeOffset time, LogStream stream, string text, string? step);
}

/// <summary>What a read into an <see cref="ILogLineSink"/> gave: how many lines, and the number of the last.</summary>
public readonly record struct LogPageRead(int Count, long LastSeq);
