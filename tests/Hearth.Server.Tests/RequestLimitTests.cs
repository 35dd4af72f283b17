using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Server.Tests;

/// <summary>
/// The server refuses what cannot run, and what would only fill its memory: run bodies over the limit before they are
/// read, argv and environment past the kernel's limits, numbers out of range; lists stay small.
/// </summary>
public sealed class RequestLimitTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, string Code, string Error)> PostAsync(
        HttpClient client,
        string json
    )
    {
        var response = await client.PostAsync("api/v1/runs", Json(json));
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.TryGetProperty("code", out var code)
            ? (response.StatusCode, code.GetString()!, doc.RootElement.GetProperty("error").GetString()!)
            : (response.StatusCode, "", text[..Math.Min(200, text.Length)]);
    }

    [Fact]
    public async Task A_run_body_over_the_limit_is_refused_before_it_is_read()
    {
        await using var server = await TestServer.StartAsync();

        // Content-Length says 100 MB and nothing follows the headers: the answer comes without waiting for the body.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Url.Host, server.Url.Port);
        var stream = tcp.GetStream();
        var request =
            $"POST /api/v1/runs HTTP/1.1\r\nHost: {server.Url.Authority}\r\nX-API-Key: {server.AdminKey}\r\n"
            + "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{\"command\":[\"";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 413", answer);
        Assert.Contains("PAYLOAD_TOO_LARGE", answer);

        // Chunked (no Content-Length): refused once 1 MiB has been read.
        var big = "{\"command\":[\"echo\",\"" + new string('x', 3 * 1024 * 1024) + "\"]}";
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        var admin = server.Client(server.AdminKey);
        var message = new HttpRequestMessage(HttpMethod.Post, "api/v1/runs") { Content = chunked };
        message.Headers.TransferEncodingChunked = true;
        var response = await admin.SendAsync(message);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("PAYLOAD_TOO_LARGE", await TestServer.CodeOf(response));
        var runs = await server
            .Client(server.AdminKey)
            .GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options);
        Assert.Empty(runs!.Runs);
    }

    [Fact]
    public async Task Argv_and_environment_past_the_kernel_limits_are_refused_naming_the_field()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { MaxRunBodyBytes = 8 * 1024 * 1024 },
            }
        );
        var admin = server.Client(server.AdminKey);
        var longArg = new string('a', 128 * 1024);
        var (status, code, error) = await PostAsync(admin, $"{{\"command\":[\"echo\",\"{longArg}\"]}}");
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_REQUEST"), (status, code));
        Assert.Contains("command[1]: 131072 bytes", error);
        Assert.Contains("MAX_ARG_STRLEN", error);

        (status, _, error) = await PostAsync(admin, $"{{\"command\":[\"true\"],\"env\":{{\"BIG\":\"{longArg}\"}}}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("env.BIG:", error);

        var many = string.Join(",", Enumerable.Range(0, 12).Select(_ => $"\"{new string('b', 100 * 1024)}\""));
        (status, _, error) = await PostAsync(admin, $"{{\"command\":[\"echo\",{many}]}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("at most 1048576", error);

        // Just under both limits: accepted.
        var fits = string.Join(",", Enumerable.Range(0, 7).Select(_ => $"\"{new string('c', 128 * 1024 - 1)}\""));
        (status, _, error) = await PostAsync(admin, $"{{\"command\":[\"echo\",{fits}]}}");
        Assert.True(status == HttpStatusCode.Created, error);
    }

    [Fact]
    public async Task Numbers_out_of_range_and_NUL_are_400_naming_the_field_never_500()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        foreach (
            var (json, field) in new[]
            {
                ("{\"command\":[\"true\"],\"timeout_seconds\":1e12}", "timeout_seconds:"),
                ("{\"command\":[\"true\"],\"timeout_seconds\":\"NaN\"}", "timeout_seconds"),
                ("{\"command\":[\"true\"],\"timeout_seconds\":\"Infinity\"}", "timeout_seconds"),
                ("{\"command\":[\"true\"],\"cpus\":\"NaN\"}", "cpus"),
                ("{\"command\":[\"true\"],\"pids\":2147483647}", "pids: must be between 1 and 4194304"),
                ("{\"command\":[\"true\"],\"lock\":\"l\",\"lock_wait_seconds\":1e300}", "lock_wait_seconds:"),
                ("{\"command\":[\"echo\",\"a\\u0000b\"]}", "command[1]: must not contain NUL"),
                ("{\"command\":[\"true\"],\"env\":{\"X\":\"a\\u0000b\"}}", "env.X: must not contain NUL"),
                ("{\"command\":[\"true\"],\"git_repo\":\"https://x/y\",\"git_ref\":\"main\\u0000\"}", "git_ref"),
            }
        )
        {
            var (status, code, error) = await PostAsync(admin, json);
            Assert.True(status == HttpStatusCode.BadRequest, $"{json}: {(int)status} {error}");
            Assert.Equal("INVALID_REQUEST", code);
            Assert.Contains(field, error);
        }
        var runs = await admin.GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options);
        Assert.Empty(runs!.Runs);
    }

    [Fact]
    public async Task Run_lists_carry_a_command_summary_and_one_run_the_whole_argv()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var arg = new string('z', 100 * 1024);
        string? id = null;
        for (var i = 0; i < 10; i++)
        {
            var created = await admin.PostAsJsonAsync(
                "api/v1/runs",
                new CreateRunBody { Command = ["echo", arg] },
                HearthJson.Options
            );
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            id = (await created.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id;
        }
        var list = await admin.GetAsync("api/v1/runs?limit=20");
        var text = await list.Content.ReadAsStringAsync();
        Assert.True(text.Length < 20_000, $"the list is {text.Length} characters");
        var runs = JsonSerializer.Deserialize<RunListView>(text, HearthJson.Options)!.Runs;
        Assert.Equal(10, runs.Count);
        Assert.All(runs, r =>
        {
            Assert.Null(r.Command);
            Assert.Equal("echo " + new string('z', RunView.SummaryLength - 5) + "…", r.CommandSummary);
        });
        var one = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{id}", HearthJson.Options))!;
        Assert.Equal(["echo", arg], one.Command);
    }
}
