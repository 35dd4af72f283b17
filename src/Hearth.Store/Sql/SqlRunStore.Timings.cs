using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// The startup breakdown the agent reports with a result: when its command first wrote and when it exited.
/// </summary>
public abstract partial class SqlRunStore
{
    /// <summary>Writes what the completion says of the attempt's timings; nothing when it says nothing.</summary>
    private static async Task NoteTimingsAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        Completion completion,
        CancellationToken ct
    )
    {
        if (completion.FirstOutputAt is null && completion.ExitedAt is null)
            return;
        await ExecAsync(
            connection,
            tx,
            "UPDATE tasks SET first_output_at = COALESCE(@first, first_output_at), exited_at = COALESCE(@exited, exited_at) WHERE id = @id;",
            ct,
            ("@first", Ms(completion.FirstOutputAt)),
            ("@exited", Ms(completion.ExitedAt)),
            ("@id", taskId)
        );
    }
}
