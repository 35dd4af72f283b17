using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hearth.Server.Api;

/// <summary>
/// What a database error escaping a handler means to the caller, the same for SQLite and PostgreSQL: a broken
/// constraint is a conflict with what is stored (409 CONFLICT, retrying the same request will not help); a
/// serialization failure, a deadlock, a busy or locked file and a refused connection are transient (503
/// DATABASE_ERROR with Retry-After); anything else the database says is a 503 DATABASE_ERROR too, never a 500.
/// </summary>
public static class DatabaseErrors
{
    public sealed record Mapped(int Status, string Code, string Message, bool Transient);

    // https://www.postgresql.org/docs/current/errcodes-appendix.html
    private const string PgSerializationFailure = "40001";
    private const string PgDeadlock = "40P01";
    private const string PgIntegrityClass = "23";
    private const string PgConnectionClass = "08";
    private const string PgTooManyConnections = "53300";
    private const string PgCannotConnectNow = "57P03";
    private const string PgAdminShutdown = "57P01";

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteConstraint = 19;

    /// <summary>The answer for <paramref name="e"/>, or null when it is not a database error.</summary>
    public static Mapped? Map(Exception e)
    {
        switch (e)
        {
            case PostgresException pg when pg.SqlState.StartsWith(PgIntegrityClass, StringComparison.Ordinal):
                return Conflict($"the request conflicts with what is stored ({pg.ConstraintName ?? pg.MessageText})");
            case PostgresException pg when pg.SqlState is PgSerializationFailure or PgDeadlock:
                return Busy("a concurrent write got there first; try again");
            case PostgresException pg
                when pg.SqlState.StartsWith(PgConnectionClass, StringComparison.Ordinal)
                    || pg.SqlState is PgTooManyConnections or PgCannotConnectNow or PgAdminShutdown:
                return Busy($"the database is not accepting connections: {pg.MessageText}");
            case PostgresException pg:
                return new Mapped(
                    StatusCodes.Status503ServiceUnavailable,
                    "DATABASE_ERROR",
                    $"the database refused the request: {pg.MessageText}",
                    false
                );
            case NpgsqlException { InnerException: SocketException or IOException or TimeoutException } npgsql:
                return Busy($"the database cannot be reached: {npgsql.InnerException!.Message}");
            case NpgsqlException npgsql:
                return Busy($"the database cannot be reached: {npgsql.Message}");
            case SqliteException { SqliteErrorCode: SqliteConstraint } sqlite:
                return Conflict($"the request conflicts with what is stored ({sqlite.Message})");
            case SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked }:
                return Busy("the store is busy; try again");
            case DbException db:
                return new Mapped(StatusCodes.Status503ServiceUnavailable, "DATABASE_ERROR", db.Message, false);
            default:
                return null;
        }
    }

    private static Mapped Conflict(string message) => new(StatusCodes.Status409Conflict, "CONFLICT", message, false);

    private static Mapped Busy(string message) =>
        new(StatusCodes.Status503ServiceUnavailable, "DATABASE_ERROR", message, true);
}
