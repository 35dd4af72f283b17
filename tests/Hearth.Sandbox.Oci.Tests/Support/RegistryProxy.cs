using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Hearth.Sandbox.Oci.Tests.Support;

public enum ProxyAuth
{
    None,
    Basic,
    Bearer,
}

/// <summary>
/// A loopback HTTP proxy in front of the real registry that demands Basic or Bearer auth (with its own token
/// endpoint), counts blob downloads, and can damage or cut blob responses.
/// </summary>
public sealed class RegistryProxy : IAsyncDisposable
{
    public const string User = "hearth";
    public const string Password = "s3cret";
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly ProxyAuth _auth;
    private readonly ConcurrentDictionary<string, byte> _tokens = new();
    private readonly Task _loop;
    private int _cutsLeft;

    public RegistryProxy(LocalRegistry registry, ProxyAuth auth, bool requireLoginForToken = false)
    {
        _auth = auth;
        RequireLoginForToken = requireLoginForToken;
        _upstream = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = registry.BaseUri,
        };
        Port = Tools.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    public bool RequireLoginForToken { get; }

    public bool CorruptBlobs { get; set; }

    public ConcurrentDictionary<string, int> BlobGets { get; } = new();

    public ConcurrentQueue<string> RangeRequests { get; } = new();

    public ConcurrentQueue<string> TokenScopes { get; } = new();

    /// <summary>The next <paramref name="count"/> blob responses stop halfway through.</summary>
    public void CutNextBlobs(int count) => _cutsLeft = count;

    private async Task AcceptLoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url!.AbsolutePath;
            if (path == "/token")
            {
                await IssueTokenAsync(context);
                return;
            }
            if (!Authorized(request.Headers["Authorization"]))
            {
                response.StatusCode = 401;
                response.Headers["WWW-Authenticate"] =
                    _auth == ProxyAuth.Basic
                        ? "Basic realm=\"hearth-test\""
                        : $"Bearer realm=\"http://{Host}/token\",service=\"hearth-test\",scope=\"repository:{RepositoryOf(path)}:pull\"";
                response.Close();
                return;
            }

            var isBlob = path.Contains("/blobs/sha256:", StringComparison.Ordinal) && request.HttpMethod == "GET";
            using var upstreamRequest = new HttpRequestMessage(
                new HttpMethod(request.HttpMethod),
                path.TrimStart('/') + request.Url.Query
            );
            foreach (var name in new[] { "Accept", "Range" })
                if (request.Headers[name] is { } value)
                    upstreamRequest.Headers.TryAddWithoutValidation(name, value.Split(',').Select(v => v.Trim()));
            if (isBlob)
            {
                BlobGets.AddOrUpdate(path[(path.LastIndexOf('/') + 1)..], 1, (_, n) => n + 1);
                if (request.Headers["Range"] is { } range)
                    RangeRequests.Enqueue(range);
            }
            using var upstream = await _upstream.SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead);
            var body = await upstream.Content.ReadAsByteArrayAsync();
            response.StatusCode = (int)upstream.StatusCode;
            if (upstream.Content.Headers.ContentType is { } type)
                response.ContentType = type.ToString();
            if (upstream.Content.Headers.ContentRange is { } contentRange)
                response.Headers["Content-Range"] = contentRange.ToString();
            if (upstream.Headers.TryGetValues("Docker-Content-Digest", out var digests))
                response.Headers["Docker-Content-Digest"] = digests.First();
            if (isBlob && CorruptBlobs && body.Length > 0)
                body[body.Length / 2] ^= 0xff;
            response.ContentLength64 = body.Length;
            if (isBlob && body.Length > 1 && Interlocked.Decrement(ref _cutsLeft) >= 0)
            {
                await response.OutputStream.WriteAsync(body.AsMemory(0, body.Length / 2));
                await response.OutputStream.FlushAsync();
                response.Abort();
                return;
            }
            await response.OutputStream.WriteAsync(body);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            response.Abort();
        }
    }

    private async Task IssueTokenAsync(HttpListenerContext context)
    {
        TokenScopes.Enqueue(context.Request.QueryString["scope"] ?? "");
        var login = context.Request.Headers["Authorization"];
        if (login is not null ? !IsValidBasic(login) : RequireLoginForToken)
        {
            context.Response.StatusCode = 401;
            context.Response.Close();
            return;
        }
        var token = "tok-" + Guid.NewGuid().ToString("N");
        _tokens[token] = 0;
        var bytes = Encoding.UTF8.GetBytes($"{{\"token\":\"{token}\",\"expires_in\":300}}");
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private bool Authorized(string? header) =>
        _auth switch
        {
            ProxyAuth.None => true,
            ProxyAuth.Basic => header is not null && IsValidBasic(header),
            _ => header is not null
                && header.StartsWith("Bearer ", StringComparison.Ordinal)
                && _tokens.ContainsKey(header[7..]),
        };

    private static bool IsValidBasic(string header) =>
        header == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));

    private static string RepositoryOf(string path)
    {
        var parts = path.Trim('/').Split('/');
        var end = Array.FindIndex(parts, p => p is "manifests" or "blobs");
        return end > 1 ? string.Join('/', parts[1..end]) : "";
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _upstream.Dispose();
    }
}
