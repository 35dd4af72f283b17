using System.Data.Common;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Lifecycle;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// The store's semantics written once over ADO.NET: every method is one transaction, every state write is checked
/// against the transition tables, every agent write is fenced by the lease epoch. A dialect supplies connections,
/// write transactions, migrations and the claim query.
/// </summary>
/// <remarks>
/// Lock order, for databases with row locks: a run's row before its tasks' rows, runs in id order. A claim locks only
/// the one pending task it takes (and skips locked ones), so it never waits on anything.
/// </remarks>
public abstract partial class SqlRunStore(ILifecycleRules rules) : IRunStore
{
    /// <summary>The lifecycle's decisions, which this store applies and never makes.</summary>
    private protected ILifecycleRules Rules { get; } = rules;

    private protected const string TerminalTaskStates = "('Succeeded', 'Failed', 'Stopped', 'TimedOut', 'Skipped')";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>
    /// A connection and a transaction in which this store's writes are isolated from every other writer.
    /// </summary>
    private protected abstract Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct);

    /// <summary>
    /// " FOR UPDATE" where rows read for a write must be locked; empty where the write transaction already excludes
    /// other writers.
    /// </summary>
    private protected abstract string ForUpdate { get; }

    /// <summary>
    /// The SQL expression that stores parameter <paramref name="parameter"/> (JSON text) in a requirements column.
    /// </summary>
    private protected abstract string JsonParameter(string parameter);

    /// <summary>The column that keeps a run's tasks in the order they were created.</summary>
    private protected abstract string TaskOrder { get; }

    /// <summary>
    /// The statement that takes the oldest claimable pending task the agent satisfies (built with
    /// <see cref="ClaimUpdate"/>; @agent and @expires are added by the caller), or null when there is none.
    /// </summary>
    private protected abstract Task<(string Sql, (string, object?)[] Parameters)?> ClaimStatementAsync(
        DbConnection connection,
        DbTransaction tx,
        ClaimRequest request,
        CancellationToken ct
    );

    /// <summary>
    /// Reads, then commits a write that changes nothing in the end but still goes to disk (the row is negated and back,
    /// so its page is dirty: SQLite skips rewriting a row with the same bytes): a store that can be read but not
    /// written (disk full, read-only file) is not ready.
    /// </summary>
    public async Task PingAsync(CancellationToken ct)
    {
        await using (var connection = await OpenAsync(ct))
        {
            await ScalarAsync(connection, null, "SELECT COUNT(*) FROM schema_version;", ct);
        }
        var (writer, tx) = await BeginWriteAsync(ct);
        await using (writer)
        await using (tx)
        {
            const string flip =
                "UPDATE schema_version SET version = -version WHERE version = (SELECT MAX(ABS(version)) FROM schema_version) "
                + "OR version = -(SELECT MAX(ABS(version)) FROM schema_version);";
            await ExecAsync(writer, tx, flip, ct);
            await ExecAsync(writer, tx, flip, ct);
            await tx.CommitAsync(ct);
        }
    }
}
