using System.Net;
using System.Text.Json;
using Npgsql;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// /ready follows the store: 503 while the server cannot reach its PostgreSQL database, 200 again once it can.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_answers_503_while_the_database_refuses_connections_and_200_once_it_is_back()
    {
        await using var cluster = await HearthCluster.StartAsync(store: StoreKind.Postgres);
        using var http = new HttpClient
        {
            BaseAddress = new Uri(cluster.Url + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("ready")).StatusCode);

        var database = new NpgsqlConnectionStringBuilder(cluster.ConnectionString).Database!;
        var admin = (await SharedPostgres.GetAsync()).AdminConnectionString;
        await ExecAsync(
            admin,
            $"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false;",
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}';"
        );
        try
        {
            var down = await http.GetAsync("ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            var error = JsonDocument.Parse(await down.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("DATABASE_ERROR", error.GetProperty("code").GetString());
            Assert.StartsWith("the store cannot be read or written: ", error.GetProperty("error").GetString());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode); // alive, only not ready
        }
        finally
        {
            await ExecAsync(admin, $"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS true;");
        }

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpStatusCode status;
        while ((status = (await http.GetAsync("ready")).StatusCode) != HttpStatusCode.OK && DateTime.UtcNow < until)
            await Task.Delay(200);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static async Task ExecAsync(string connectionString, params string[] statements)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
