using System.Collections.Concurrent;
using System.Net;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A loopback HTTP listener playing a forge's status API: records each request's method, path, auth and body; answers
/// 201.
/// </summary>
internal sealed class ForgeStatusListener : IDisposable
{
    public sealed record Received(string Method, string Path, string? Authorization, string Body);

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly Task _loop;

    public ForgeStatusListener()
    {
        Port = HearthCluster.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e)
                when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            _received.Enqueue(
                new Received(
                    context.Request.HttpMethod,
                    context.Request.RawUrl ?? "",
                    context.Request.Headers["Authorization"],
                    body
                )
            );
            context.Response.StatusCode = 201;
            await context.Response.OutputStream.WriteAsync("{}"u8.ToArray());
            context.Response.Close();
        }
    }

    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<Received, bool> match, int count, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var found = _received.Where(match).ToList();
            if (found.Count >= count)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(
                    $"{found.Count} of {count} requests; all: {string.Join(" | ", _received.Select(r => r.Path + " " + r.Body))}"
                );
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
