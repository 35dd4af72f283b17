using System.Net;
using Hearth.Server.Api;
using Hearth.Store.Tests;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hearth.Server.Tests;

/// <summary>
/// Errors raised by real databases map to the same answers on SQLite and PostgreSQL: a broken constraint is a 409
/// CONFLICT, a serialization failure or an unreachable database a transient 503 DATABASE_ERROR; never a 500.
/// </summary>
public sealed class DatabaseErrorTests(PostgresCluster postgres) : IClassFixture<PostgresCluster>
{
    [Fact]
    public async Task A_PostgreSQL_unique_violation_is_a_409_CONFLICT_naming_the_constraint()
    {
        await using var connection = new NpgsqlConnection(await postgres.CreateDatabaseAsync());
        await connection.OpenAsync();
        await Exec(
            connection,
            "CREATE TABLE keys (k TEXT CONSTRAINT keys_unique UNIQUE); INSERT INTO keys VALUES ('a');"
        );
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(connection, "INSERT INTO keys VALUES ('a');")
        );

        var mapped = DatabaseErrors.Map(error)!;
        Assert.Equal((409, "CONFLICT", false), (mapped.Status, mapped.Code, mapped.Transient));
        Assert.Contains("keys_unique", mapped.Message);
    }

    [Fact]
    public async Task A_PostgreSQL_serialization_failure_is_a_transient_503()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var a = new NpgsqlConnection(connectionString);
        await using var b = new NpgsqlConnection(connectionString);
        await a.OpenAsync();
        await b.OpenAsync();
        await Exec(a, "CREATE TABLE counter (n INT); INSERT INTO counter VALUES (0);");
        await using var txA = await a.BeginTransactionAsync(System.Data.IsolationLevel.Serializable);
        await using var txB = await b.BeginTransactionAsync(System.Data.IsolationLevel.Serializable);
        await Exec(a, "SELECT n FROM counter;", txA);
        await Exec(b, "SELECT n FROM counter;", txB);
        await Exec(a, "UPDATE counter SET n = n + 1;", txA);
        await txA.CommitAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => Exec(b, "UPDATE counter SET n = n + 1;", txB));
        Assert.Equal(PostgresErrorCodes.SerializationFailure, error.SqlState);

        var mapped = DatabaseErrors.Map(error)!;
        Assert.Equal((503, "DATABASE_ERROR", true), (mapped.Status, mapped.Code, mapped.Transient));
    }

    [Fact]
    public async Task A_refused_PostgreSQL_connection_is_a_transient_503()
    {
        var closed = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = FreePort(),
            Username = "x",
            Timeout = 5,
        }.ToString();
        await using var connection = new NpgsqlConnection(closed);
        var error = await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());

        var mapped = DatabaseErrors.Map(error)!;
        Assert.Equal((503, "DATABASE_ERROR", true), (mapped.Status, mapped.Code, mapped.Transient));
    }

    [Fact]
    public async Task A_SQLite_constraint_is_a_409_and_a_busy_file_a_transient_503()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("hearth-dberr-").FullName, "t.db");
        await using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        await connection.OpenAsync();
        await Exec(connection, "CREATE TABLE keys (k TEXT UNIQUE); INSERT INTO keys VALUES ('a');");
        var unique = await Assert.ThrowsAsync<SqliteException>(() =>
            Exec(connection, "INSERT INTO keys VALUES ('a');")
        );
        Assert.Equal((409, "CONFLICT"), (DatabaseErrors.Map(unique)!.Status, DatabaseErrors.Map(unique)!.Code));

        await Exec(connection, "BEGIN IMMEDIATE;");
        await using var other = new SqliteConnection($"Data Source={file};Pooling=False;Default Timeout=1");
        await other.OpenAsync();
        var busy = await Assert.ThrowsAsync<SqliteException>(() => Exec(other, "BEGIN IMMEDIATE;"));
        var mapped = DatabaseErrors.Map(busy)!;
        Assert.Equal((503, "DATABASE_ERROR", true), (mapped.Status, mapped.Code, mapped.Transient));
    }

    [Fact]
    public void Errors_that_are_not_the_database_s_are_left_to_the_caller()
    {
        Assert.Null(DatabaseErrors.Map(new InvalidOperationException("not a database error")));
    }

    private static async Task Exec(
        System.Data.Common.DbConnection connection,
        string sql,
        System.Data.Common.DbTransaction? tx = null
    )
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        await command.ExecuteNonQueryAsync();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
