using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// What docs/api.md promises an HTTP client, against a real server and agent: Bearer keys, SSE resume.
/// </summary>
public sealed class HttpApiTests(SqliteClusterFixture fixture) : IClassFixture<SqliteClusterFixture>
{
    private HearthCluster Cluster => fixture.Cluster;

    private HttpClient Http(string? authorization)
    {
        var http = new HttpClient { BaseAddress = new Uri(Cluster.Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (authorization is not null)
            http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(authorization);
        return http;
    }

    private static async Task<string> CodeOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString()!;

    [Fact]
    public async Task An_api_key_works_as_an_authorization_bearer_and_a_wrong_one_is_refused_with_its_code()
    {
        using var bearer = Http($"Bearer {Cluster.AdminKey}");
        var runs = await bearer.GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.OK, runs.StatusCode);
        Assert.Equal(
            JsonValueKind.Array,
            JsonDocument.Parse(await runs.Content.ReadAsStringAsync()).RootElement.GetProperty("runs").ValueKind
        );

        using var wrong = Http("Bearer hk_" + new string('x', 43));
        var refused = await wrong.GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("INVALID_API_KEY", await CodeOf(refused));

        // Another scheme carries no key.
        using var basic = Http("Basic " + Convert.ToBase64String("admin:x"u8.ToArray()));
        var missing = await basic.GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("UNAUTHORIZED", await CodeOf(missing));
    }

    [Fact]
    public async Task An_event_stream_resumes_after_its_last_event_id_and_ends_with_the_end_event()
    {
        var run = await Cluster.CliAsync("run", "--", "sh", "-c", "for i in 0 1 2 3 4; do echo line-$i; done");
        Assert.Equal(0, run.ExitCode);
        var id = AdHocRunTests.RunId(run.Stderr);

        using var http = Http($"Bearer {Cluster.AdminKey}");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/runs/{id}/logs");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Add("Last-Event-ID", "2");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var events = ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal([("3", "line"), ("4", "line"), (null, "end")], events.Select(e => (e.Id, e.Event)));
        Assert.Equal(
            ["line-3", "line-4"],
            events.Take(2).Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("text").GetString())
        );
        var end = JsonDocument.Parse(events[2].Data).RootElement;
        Assert.Equal(
            ("SUCCEEDED", 0, 5),
            (
                end.GetProperty("status").GetString(),
                end.GetProperty("exit_code").GetInt32(),
                end.GetProperty("next").GetInt32()
            )
        );
    }

    private static List<(string? Id, string Event, string Data)> ParseEvents(string stream)
    {
        var events = new List<(string?, string, string)>();
        foreach (var block in stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? id = null,
                name = "message",
                data = "";
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("id: ", StringComparison.Ordinal))
                    id = line[4..];
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                    name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    data = line[6..];
            }
            if (!block.StartsWith(':'))
                events.Add((id, name, data));
        }
        return events;
    }
}
