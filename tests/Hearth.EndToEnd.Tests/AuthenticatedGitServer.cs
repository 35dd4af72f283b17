using System.Diagnostics;
using System.Net;
using System.Text;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// GitRepositories' repositories over smart HTTP on loopback, behind Basic authentication: `git http-backend` run as a
/// CGI program for each request that carries the expected user and token; 401 with a challenge otherwise. Records the
/// credentials each request carried, so a test can tell what git sent.
/// </summary>
public sealed class AuthenticatedGitServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _projectRoot;
    private readonly string _expected;
    private readonly Task _serving;
    private readonly List<string?> _credentials = [];

    public AuthenticatedGitServer(string projectRoot, string user, string token)
    {
        _projectRoot = projectRoot;
        _expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}"));
        Port = HearthCluster.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Url(string repository) => $"http://127.0.0.1:{Port}/{repository}";

    /// <summary>The decoded `user:token` of every request, null for one without credentials.</summary>
    public IReadOnlyList<string?> Credentials
    {
        get
        {
            lock (_credentials)
                return [.. _credentials];
        }
    }

    private async Task ServeAsync()
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
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var authorization = context.Request.Headers["Authorization"];
            var basic =
                authorization is not null && authorization.StartsWith("Basic ", StringComparison.Ordinal)
                    ? authorization["Basic ".Length..]
                    : null;
            lock (_credentials)
                _credentials.Add(basic is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(basic)));
            if (basic != _expected)
            {
                response.StatusCode = 401;
                response.AddHeader("WWW-Authenticate", "Basic realm=\"hearth-test\"");
                return;
            }
            await RunBackendAsync(context.Request, response);
        }
        finally
        {
            response.Close();
        }
    }

    private async Task RunBackendAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        var info = new ProcessStartInfo("git", ["http-backend"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["GIT_PROJECT_ROOT"] = _projectRoot;
        info.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        info.Environment["REQUEST_METHOD"] = request.HttpMethod;
        info.Environment["PATH_INFO"] = request.Url!.AbsolutePath;
        info.Environment["QUERY_STRING"] = request.Url.Query.TrimStart('?');
        info.Environment["CONTENT_TYPE"] = request.ContentType ?? "";
        info.Environment["REMOTE_USER"] = "user";
        info.Environment["REMOTE_ADDR"] = "127.0.0.1";
        if (request.Headers["Git-Protocol"] is { } protocol)
            info.Environment["GIT_PROTOCOL"] = protocol;
        if (request.Headers["Content-Encoding"] is { } encoding)
            info.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        using var backend = Process.Start(info)!;
        var stderr = backend.StandardError.ReadToEndAsync();
        await request.InputStream.CopyToAsync(backend.StandardInput.BaseStream);
        backend.StandardInput.Close();

        // A CGI answer: header lines, a blank line, then the body.
        var output = backend.StandardOutput.BaseStream;
        while (true)
        {
            var line = await ReadHeaderLineAsync(output);
            if (line.Length == 0)
                break;
            var colon = line.IndexOf(':');
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                response.StatusCode = int.Parse(value[..3]);
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                response.ContentType = value;
            else
                response.AddHeader(name, value);
        }
        await output.CopyToAsync(response.OutputStream);
        await backend.WaitForExitAsync();
        _ = await stderr;
    }

    private static async Task<string> ReadHeaderLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
            bytes.Add(one[0]);
        return Encoding.ASCII.GetString(bytes.ToArray()).TrimEnd('\r');
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
