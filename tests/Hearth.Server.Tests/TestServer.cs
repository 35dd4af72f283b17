using System.Net.Http.Json;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Hearth.Server.Tests;

/// <summary>
/// A real Hearth server on a loopback port over a throwaway SQLite file, with the bootstrap admin key and agent token.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);
    private bool _ownsDataDir;

    private TestServer(HearthServer server, string dataDir, Bootstrap.Credentials credentials, TimeProvider time)
    {
        Server = server;
        DataDir = dataDir;
        AdminKey = credentials.AdminKey;
        AgentToken = credentials.AgentToken;
        Time = time;
    }

    public HearthServer Server { get; }
    public string DataDir { get; }
    public string AdminKey { get; }
    public string AgentToken { get; }
    public TimeProvider Time { get; }
    public Uri Url => Server.Url;
    public string StoreFile => Path.Combine(DataDir, "hearth.db");

    public static async Task<TestServer> StartAsync(
        Func<ServerOptions, ServerOptions>? configure = null,
        TimeProvider? time = null,
        string? dataDir = null
    )
    {
        var owns = dataDir is null;
        dataDir ??= Directory.CreateTempSubdirectory("hearth-server-tests-").FullName;
        var options = new ServerOptions { Listen = "127.0.0.1:0", DataDir = dataDir };
        options = configure?.Invoke(options) ?? options;
        time ??= TimeProvider.System;
        var server = await HearthServer.StartAsync(options, CancellationToken.None, time, LogLevel.Warning);
        var credentials = await Bootstrap.EnsureAsync(server.Access, time, new IdGenerator(), CancellationToken.None)
            ?? new Bootstrap.Credentials("", "");
        return new TestServer(server, dataDir, credentials, time) { _ownsDataDir = owns };
    }

    /// <summary>A client sending <paramref name="key"/> (none when null), reused per key.</summary>
    public HttpClient Client(string? key = null)
    {
        var name = key ?? "";
        if (_clients.TryGetValue(name, out var known))
            return known;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        var client = new HttpClient(handler) { BaseAddress = Url };
        if (key is not null)
            client.DefaultRequestHeaders.Add("X-API-Key", key);
        // Every client speaks the agent protocol's version as an agent does (other endpoints do not read it), so a
        // client with an agent token of another server (one sharing the store) is an agent too.
        client.DefaultRequestHeaders.Add(
            AgentProtocolVersion.Header,
            AgentProtocolVersion.Current.ToString(System.Globalization.CultureInfo.InvariantCulture)
        );
        _clients[name] = client;
        return client;
    }

    /// <summary>Creates a user of that role through the API and claims its key.</summary>
    public async Task<string> KeyForAsync(string email, string role)
    {
        var created = await Client(AdminKey)
            .PostAsJsonAsync("api/v1/users", new CreateUserBody(email, role), HearthJson.Options);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<CreatedUserView>(HearthJson.Options))!.ClaimToken;
        var claimed = await Client().PostAsync($"api/v1/claim/{token}", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, claimed.StatusCode);
        return (await claimed.Content.ReadFromJsonAsync<ClaimView>(HearthJson.Options))!.ApiKey;
    }

    public static async Task<string> CodeOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.GetProperty("code").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"(no code: {(int)response.StatusCode} {text})";
        }
    }

    /// <summary>Every byte the store has on disk: the database, its WAL and shared memory.</summary>
    public byte[] StoreBytes()
    {
        var all = new List<byte>();
        foreach (var file in Directory.GetFiles(DataDir, "hearth.db*"))
        {
            try
            {
                using var stream = new FileStream(
                    file,
                    FileMode.Open,
                    FileAccess.Read,
                    FileShare.ReadWrite | FileShare.Delete
                );
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                all.AddRange(memory.ToArray());
            }
            catch (FileNotFoundException)
            {
                // The WAL went away with a checkpoint between the listing and the read: its pages are in the database
                // now.
            }
        }
        return [.. all];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
            client.Dispose();
        await Server.StopAsync(CancellationToken.None);
        await Server.DisposeAsync();
        if (!_ownsDataDir)
            return;
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException) { }
    }
}
