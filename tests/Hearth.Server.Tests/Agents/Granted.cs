using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Tests.Agents;

/// <summary>
/// Runs created through the API and their tasks claimed from the real store: the leases the protocol completes.
/// </summary>
internal static class Granted
{
    public static T Service<T>(this TestServer server)
        where T : notnull => server.Server.Services.GetRequiredService<T>();

    public static async Task<RunView> CreateRunAsync(TestServer server, CreateRunBody body)
    {
        var response = await server.Client(server.AdminKey).PostAsJsonAsync("api/v1/runs", body, HearthJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
    }

    public static async Task CreateSecretAsync(TestServer server, string name, string value, string variable)
    {
        var response = await server
            .Client(server.AdminKey)
            .PostAsJsonAsync("api/v1/secrets", new SecretBody(name, value, variable, null), HearthJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Claims the oldest pending task, as a poll does, for an agent with no labels.</summary>
    public static async Task<Lease> ClaimAsync(TestServer server)
    {
        var lease = await server.Server.Store.ClaimAsync(
            new ClaimRequest(
                "agent-under-test",
                new Dictionary<string, string>(),
                server.Time.GetUtcNow(),
                TimeSpan.FromMinutes(1)
            ),
            CancellationToken.None
        );
        Assert.NotNull(lease);
        return lease;
    }

    public static async Task<RunView> RunAsync(TestServer server, string runId) =>
        (await server.Client(server.AdminKey).GetFromJsonAsync<RunView>($"api/v1/runs/{runId}", HearthJson.Options))!;
}
