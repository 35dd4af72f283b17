using System.Net;
using System.Net.Http.Json;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Services;
using Hearth.Store.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Tests;

/// <summary>Secrets at rest, at lease time and in logs, over the real HTTP API and the real SQLite file.</summary>
public sealed class SecretTests
{
    private const string Value = "sup3r-s3cret-Value!";

    [Fact]
    public async Task A_secret_is_never_in_the_store_in_clear_and_only_the_lease_carries_it()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var created = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("db-pass", Value, "DB_PASSWORD", "the database"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var duplicate = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("db-pass", Value, null, null),
            HearthJson.Options
        );
        Assert.Equal("SECRET_ALREADY_EXISTS", await TestServer.CodeOf(duplicate));

        var runResponse = await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["sh", "-c", "echo $DB_PASSWORD"], Secrets = ["db-pass"] },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, runResponse.StatusCode);
        var run = (await runResponse.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
        Assert.DoesNotContain(Value, await admin.GetStringAsync($"api/v1/runs/{run.Id}"));
        Assert.DoesNotContain(Value, await admin.GetStringAsync("api/v1/secrets"));

        var agent = server.Client(server.AgentToken);
        var registered = await (
            await agent.PostAsJsonAsync(
                "api/v1/agent/register",
                new RegisterAgentBody("a1", [], 1, "test"),
                HearthJson.Options
            )
        ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options);
        var leaseResponse = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(registered!.AgentId, 1, 5),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, leaseResponse.StatusCode);
        var lease = (
            await leaseResponse.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();
        Assert.Equal(new Dictionary<string, string> { ["DB_PASSWORD"] = Value }, lease.SecretEnv);
        Assert.Equal([Value], lease.Mask);
        Assert.DoesNotContain("DB_PASSWORD", lease.Env.Keys);

        // The agent echoes it in every spelling, the first one split over two lines; the server stores only masks.
        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(Value));
        string[] texts =
        [
            $"plain {Value[..5]}",
            $"{Value[5..]} end",
            $"b64 {b64}",
            $"url {Uri.EscapeDataString(Value)}",
            $"json {System.Text.Json.JsonSerializer.Serialize(Value)}",
        ];
        var lines = texts.Select(t => new AgentLogLine(DateTimeOffset.UtcNow, LogStream.Stdout, t)).ToList();
        var logs = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/logs",
            new LogChunkBody(lease.Epoch, 0, lines),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
        var page = (await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{run.Id}/logs", HearthJson.Options))!;
        var stored = page.Lines.Select(l => l.Text).ToArray();
        Assert.Equal(["plain ***", "*** end", "b64 ***", "url ***", "json \"***\""], stored);

        await server.Server.StopAsync(CancellationToken.None);
        var bytes = server.StoreBytes();
        foreach (var form in (string[])[Value, b64, Value[..8], Value[^8..]])
            Assert.DoesNotContain(form, Encoding.UTF8.GetString(bytes));
        Assert.DoesNotContain(Value, Encoding.Unicode.GetString(bytes));
    }

    [Fact]
    public async Task Hex_base32_escaped_json_html_and_shell_quoted_forms_never_reach_the_stored_log_rows()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        const string value = "it's/a<s3cret>&\"key\"";
        await admin.PostAsJsonAsync("api/v1/secrets", new SecretBody("k", value, "K", null), HearthJson.Options);
        var run = (
            await (
                await admin.PostAsJsonAsync(
                    "api/v1/runs",
                    new CreateRunBody { Command = ["true"], Secrets = ["k"] },
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
        )!;
        var agent = server.Client(server.AgentToken);
        var registered = await (
            await agent.PostAsJsonAsync(
                "api/v1/agent/register",
                new RegisterAgentBody("a1", [], 1, "test"),
                HearthJson.Options
            )
        ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options);
        var lease = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/lease",
                    new LeaseRequest(registered!.AgentId, 1, 5),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();
        var bytes = Encoding.UTF8.GetBytes(value);
        string[] forms =
        [
            Convert.ToHexStringLower(bytes),
            Convert.ToHexString(bytes),
            string.Join(' ', bytes.Select(b => b.ToString("x2"))),
            Hearth.Core.Secrets.Base32.Encode(bytes),
            System.Text.Json.JsonSerializer.Serialize(value).Replace("/", "\\/"),
            WebUtility.HtmlEncode(value),
            System.Text.Encodings.Web.HtmlEncoder.Default.Encode(value),
            "it'\\''s/a<s3cret>&\"key\"",
            "it\\'s/a\\<s3cret\\>\\&\\\"key\\\"",
        ];
        var lines = forms.Select(f => new AgentLogLine(DateTimeOffset.UtcNow, LogStream.Stdout, $"[{f}]")).ToList();
        var posted = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/logs",
            new LogChunkBody(lease.Epoch, 0, lines),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var done = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch, 1, false, $"failed with {forms[0]}", LogOffset: lines.Count),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        var page = (await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{run.Id}/logs", HearthJson.Options))!;
        Assert.All(page.Lines, l => Assert.Equal("[***]", l.Text.Replace("\"***\"", "***")));
        Assert.DoesNotContain(forms[0], await admin.GetStringAsync($"api/v1/runs/{run.Id}"));
        await server.Server.StopAsync(CancellationToken.None);
        var stored = Encoding.UTF8.GetString(server.StoreBytes());
        foreach (var form in forms)
            Assert.DoesNotContain(form, stored);
    }

    [Fact]
    public async Task A_run_whose_secret_was_deleted_fails_with_a_reason_instead_of_running_without_it()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("short-lived", Value, null, null),
            HearthJson.Options
        );
        var run = await (
            await admin.PostAsJsonAsync(
                "api/v1/runs",
                new CreateRunBody { Command = ["true"], Secrets = ["short-lived"] },
                HearthJson.Options
            )
        ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options);
        await admin.DeleteAsync("api/v1/secrets/short-lived");

        var agent = server.Client(server.AgentToken);
        var registered = await (
            await agent.PostAsJsonAsync(
                "api/v1/agent/register",
                new RegisterAgentBody("a1", [], 1, "test"),
                HearthJson.Options
            )
        ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options);
        var lease = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(registered!.AgentId, 1, 1),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, lease.StatusCode);
        Assert.Empty((await lease.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments);
        var after = await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run!.Id}", HearthJson.Options);
        Assert.Equal(Core.Runs.RunState.Failed, after!.Status);
        Assert.Equal("assignment step 'secrets' failed: secret 'short-lived' no longer exists", after.Reason);
    }

    [Fact]
    public async Task Rotating_the_key_re_encrypts_every_secret_and_compose_seal_and_the_old_key_is_then_not_needed()
    {
        var root = Directory.CreateTempSubdirectory("hearth-rotate-").FullName;
        (string Seal, string Hash) sealedBefore = default;
        try
        {
            var oldKey = await KeyFileAsync(root, "old.key");
            var newKey = await KeyFileAsync(root, "new.key");
            var data = Path.Combine(root, "server");

            await using (
                var first = await TestServer.StartAsync(
                    o => o with { Access = o.Access with { SecretsKeyFile = oldKey } },
                    dataDir: data
                )
            )
            {
                await File.WriteAllTextAsync(Path.Combine(root, "admin"), first.AdminKey);
                await File.WriteAllTextAsync(Path.Combine(root, "agent"), first.AgentToken);
                await first
                    .Client(first.AdminKey)
                    .PostAsJsonAsync(
                        "api/v1/secrets",
                        new SecretBody("rotated", Value, null, null),
                        HearthJson.Options
                    );
                Assert.Equal(
                    await IdOfAsync(oldKey),
                    (await first.Server.Access.GetSecretAsync("rotated", CancellationToken.None))!.KeyId
                );
                Assert.Equal(
                    HttpStatusCode.OK,
                    (
                        await first
                            .Client(first.AdminKey)
                            .PutAsJsonAsync("api/v1/projects/vault", Vault, HearthJson.Options)
                    ).StatusCode
                );
                sealedBefore = await SealOfAsync(first);
                Assert.StartsWith(await IdOfAsync(oldKey) + ":", sealedBefore.Seal);
            }
            var adminKey = await File.ReadAllTextAsync(Path.Combine(root, "admin"));

            await using (
                var rotated = await TestServer.StartAsync(
                    o => o with { Access = o.Access with { SecretsKeyFile = newKey, SecretsOldKeyFiles = [oldKey] } },
                    dataDir: data
                )
            )
            {
                Assert.Equal(
                    await IdOfAsync(newKey),
                    (await rotated.Server.Access.GetSecretAsync("rotated", CancellationToken.None))!.KeyId
                );
                // The compose secret is re-sealed under the new key, and its service's definition is the same: nothing
                // rolls.
                var resealed = await SealOfAsync(rotated);
                Assert.StartsWith(await IdOfAsync(newKey) + ":", resealed.Seal);
                Assert.Equal(sealedBefore.Hash, resealed.Hash);
            }

            await using (
                var newOnly = await TestServer.StartAsync(
                    o => o with { Access = o.Access with { SecretsKeyFile = newKey } },
                    dataDir: data
                )
            )
            {
                var revealed = await newOnly
                    .Client(adminKey)
                    .GetFromJsonAsync<SecretValueView>("api/v1/secrets/rotated", HearthJson.Options);
                Assert.Equal(Value, revealed!.Value);
                // The replica's assignment opens the re-sealed compose secret without the old key.
                var agent = newOnly.Client(await File.ReadAllTextAsync(Path.Combine(root, "agent")));
                var registered = (
                    await (
                        await agent.PostAsJsonAsync(
                            "api/v1/agent/register",
                            new RegisterAgentBody(
                                "a1",
                                new Dictionary<string, string> { ["driver.oci"] = "true" },
                                4,
                                "test"
                            ),
                            HearthJson.Options
                        )
                    ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
                )!;
                var lease = await ProjectApiTests.LeaseAsync(agent, registered.AgentId);
                Assert.Equal("compose-file-pw", lease.SecretFiles["/run/secrets/pw"]);
            }

            await using var wrong = await TestServer.StartAsync(
                o => o with { Access = o.Access with { SecretsKeyFile = oldKey } },
                dataDir: data
            );
            var refused = await wrong.Client(adminKey).GetAsync("api/v1/secrets/rotated");
            Assert.Equal("SECRET_UNAVAILABLE", await TestServer.CodeOf(refused));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Secret_values_are_validated_and_bodies_are_small()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var tooShort = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("s", "abc", null, null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains("masked", await tooShort.Content.ReadAsStringAsync());
        var reserved = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("s", Value, "HEARTH_RUN_ID", null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);
        var huge = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("big", new string('x', 100_000), null, null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    private static readonly ProjectSpec Vault = new()
    {
        Name = "vault",
        Services =
        [
            new ServiceDefinition
            {
                Name = "db",
                Image = "busybox",
                Files = [new ServiceFile("/run/secrets/pw", null, "compose-file-pw", Secret: true)],
            },
        ],
    };

    /// <summary>The stored seal of the vault project's compose secret, and its service's definition hash.</summary>
    private static async Task<(string Seal, string Hash)> SealOfAsync(TestServer server)
    {
        var project = await server
            .Server.Services.GetRequiredService<IServiceStore>()
            .GetProjectAsync("vault", CancellationToken.None);
        var db = project!.Spec.Services.Single();
        return (db.Files.Single().Sealed!, DefinitionHash.Of(db));
    }

    private static async Task<string> KeyFileAsync(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        await File.WriteAllTextAsync(
            path,
            Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
        );
        return path;
    }

    private static async Task<string> IdOfAsync(string keyFile) =>
        Secrets.SecretKeyring.IdOf(Convert.FromBase64String((await File.ReadAllTextAsync(keyFile)).Trim()));
}
