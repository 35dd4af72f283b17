using System.Data.Common;

namespace Hearth.Store.Access;

/// <summary>
/// <see cref="IAccessStore"/> written once over ADO.NET; a dialect supplies connections, write transactions,
/// migrations and how it reports a unique-key violation.
/// </summary>
public abstract partial class SqlAccessStore : IAccessStore
{
    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A connection and a transaction isolated from every other writer of these tables.</summary>
    private protected abstract Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct);

    private protected abstract bool IsUniqueViolation(DbException e);

    public abstract Task MigrateAsync(CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    private protected async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var result = await work(connection, tx);
            await tx.CommitAsync(ct);
            return result;
        }
    }

    private protected async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await work(connection);
    }
}
