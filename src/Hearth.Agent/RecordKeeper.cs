namespace Hearth.Agent;

/// <summary>
/// Keeps one task's <see cref="SandboxRecord"/> in the journal up to date: written when the sandbox has started, again
/// before each log chunk leaves (how far the server has the output, and how far it will), removed at clean-up.
/// </summary>
internal sealed class RecordKeeper(SandboxJournal journal, SandboxRecord? record)
{
    private readonly Lock _gate = new();
    private SandboxRecord? _record = record;

    public void Started(SandboxRecord started)
    {
        lock (_gate)
        {
            _record = started;
            journal.Save(started);
        }
    }

    public void Checkpoint(LogCheckpoint shipped, LogCheckpoint? inFlight)
    {
        lock (_gate)
        {
            if (_record is null)
                return;
            _record = _record with { Shipped = shipped, InFlight = inFlight };
            try
            {
                journal.Save(_record);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The older record stays: a restart re-ships a little more, which the server skips.
            }
        }
    }

    /// <summary>The sandbox is destroyed: nothing is left to recover.</summary>
    public void Forget()
    {
        lock (_gate)
        {
            if (_record is null)
                return;
            journal.Delete(_record.Handle.SandboxId);
            _record = null;
        }
    }
}
