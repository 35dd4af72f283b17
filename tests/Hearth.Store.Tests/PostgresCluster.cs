using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Hearth.Store.Tests;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb in a temp dir, started on a free loopback port, stopped (immediate) and
/// deleted on dispose. As root, the server runs as the 'postgres' user (initdb refuses root). Fails loudly, never
/// skips. Each test takes a fresh database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const string User = "hearth";
    private string? _root;
    private string? _bin;
    private int _databases;

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(_root!, "data");

    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        _root = Directory.CreateTempSubdirectory("hearth-pg-").FullName;
        var runAs = Environment.IsPrivilegedProcess ? "postgres" : null;
        if (runAs is not null)
            await RunAsync("chown", [runAs, _root], null);
        Port = FreePort();
        await RunAsync(
            Path.Combine(_bin, "initdb"),
            ["-D", DataDirectory, "-U", User, "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
            runAs
        );
        var settings =
            $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        try
        {
            await RunAsync(
                Path.Combine(_bin, "pg_ctl"),
                [
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    DataDirectory,
                    "-l",
                    Path.Combine(_root, "server.log"),
                    "-o",
                    settings,
                ],
                runAs
            );
        }
        catch (Exception e)
        {
            var log = File.Exists(Path.Combine(_root, "server.log"))
                ? await File.ReadAllTextAsync(Path.Combine(_root, "server.log"))
                : "(no log)";
            throw new InvalidOperationException($"PostgreSQL did not start on port {Port}: {e.Message}\n{log}", e);
        }
    }

    /// <summary>A connection string for the server itself (database 'postgres').</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = User,
            Database = database,
            MaxPoolSize = 40,
        }.ToString();

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken ct = default)
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0;", connection);
        await command.ExecuteNonQueryAsync(ct);
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        if (_root is null)
            return;
        try
        {
            if (_bin is not null && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                await RunAsync(
                    Path.Combine(_bin, "pg_ctl"),
                    ["stop", "-m", "immediate", "-D", DataDirectory],
                    Environment.IsPrivilegedProcess ? "postgres" : null
                );
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(_root, recursive: true);
        }
    }

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory
                .GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin
            ?? throw new InvalidOperationException(
                "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install them with 'apt-get install postgresql' (./test.sh does)."
            );
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, string? runAs)
    {
        var start = new ProcessStartInfo(runAs is null ? file : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        if (runAs is not null)
        {
            foreach (var a in (string[])["-u", runAs, "--", file])
                start.ArgumentList.Add(a);
        }
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}{await stdout}"
            );
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "postgres";
}
