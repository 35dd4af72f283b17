using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Server.Tests.Statuses;

/// <summary>
/// A real HTTP listener on loopback playing a forge's REST API: it records every request (method, raw path as sent,
/// headers, body) and answers with the status code <see cref="Answer"/> picks (201 unless told otherwise).
/// </summary>
internal sealed class ForgeApiListener : IAsyncDisposable
{
    public sealed record Received(
        string Method,
        string RawTarget,
        IReadOnlyDictionary<string, string> Headers,
        string Body
    );

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();

    private ForgeApiListener(WebApplication app) => _app = app;

    /// <summary>The status code for a request (by raw path); 201 by default.</summary>
    public Func<string, int> Answer { get; set; } = _ => StatusCodes.Status201Created;

    public string Url =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public IReadOnlyList<Received> Requests => _received.ToArray();

    public static async Task<ForgeApiListener> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var listener = new ForgeApiListener(app);
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var raw = http.Features.Get<IHttpRequestFeature>()!.RawTarget;
            listener._received.Enqueue(
                new Received(
                    http.Request.Method,
                    raw,
                    http.Request.Headers.ToDictionary(
                        h => h.Key,
                        h => h.Value.ToString(),
                        StringComparer.OrdinalIgnoreCase
                    ),
                    body
                )
            );
            var code = listener.Answer(raw);
            http.Response.StatusCode = code;
            await http.Response.WriteAsync(code < 300 ? "{}" : """{"message":"refused by the test forge"}""");
        });
        await app.StartAsync();
        return listener;
    }

    /// <summary>Waits until <paramref name="count"/> requests matched, with a deadline; returns them.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(
        Func<Received, bool> match,
        int count,
        TimeSpan? within = null
    )
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = Requests.Where(match).ToList();
            if (found.Count >= count)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(
                    $"{found.Count} of {count} expected requests arrived; all: "
                        + string.Join(" | ", Requests.Select(r => $"{r.Method} {r.RawTarget} {r.Body}"))
                );
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
