using System.Net;
using Hearth.Workflows.Imports;

namespace Hearth.Workflows.Tests;

public class HttpImportFetcherTests
{
    [Fact]
    public async Task Fetches_https_text()
    {
        var fetcher = new HttpImportFetcher(
            new HttpClient(new StubHandler((_, _) => Task.FromResult(Ok("fragment { run \"x\" }"))))
        );
        var fetched = await fetcher.FetchAsync(new Uri("https://example.test/a.kdl"), CancellationToken.None);
        Assert.Equal("fragment { run \"x\" }", fetched.Text);
        Assert.Equal("https://example.test/a.kdl", fetched.DisplayName);
    }

    [Fact]
    public async Task Refuses_plain_http_large_bodies_errors_and_slow_servers()
    {
        var limits = new ImportLimits { MaxBytes = 100, FetchTimeout = TimeSpan.FromMilliseconds(200) };
        var big = new HttpImportFetcher(
            new HttpClient(new StubHandler((_, _) => Task.FromResult(Ok(new string('x', 1000), withLength: false)))),
            limits
        );
        var declared = new HttpImportFetcher(
            new HttpClient(new StubHandler((_, _) => Task.FromResult(Ok(new string('x', 1000))))),
            limits
        );
        var missing = new HttpImportFetcher(
            new HttpClient(
                new StubHandler((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound)))
            ),
            limits
        );
        var slow = new HttpImportFetcher(
            new HttpClient(
                new StubHandler(
                    async (_, ct) =>
                    {
                        await Task.Delay(TimeSpan.FromSeconds(30), ct);
                        return Ok("late");
                    }
                )
            ),
            limits
        );

        var url = new Uri("https://example.test/a.kdl");
        Assert.Contains(
            "only https",
            (
                await Assert.ThrowsAsync<ImportFetchException>(() =>
                    big.FetchAsync(new Uri("http://example.test/a.kdl"), CancellationToken.None)
                )
            ).Message,
            StringComparison.Ordinal
        );
        Assert.Contains(
            "limit",
            (await Assert.ThrowsAsync<ImportFetchException>(() => big.FetchAsync(url, CancellationToken.None))).Message,
            StringComparison.Ordinal
        );
        Assert.Contains(
            "limit",
            (
                await Assert.ThrowsAsync<ImportFetchException>(() => declared.FetchAsync(url, CancellationToken.None))
            ).Message,
            StringComparison.Ordinal
        );
        Assert.Contains(
            "404",
            (
                await Assert.ThrowsAsync<ImportFetchException>(() => missing.FetchAsync(url, CancellationToken.None))
            ).Message,
            StringComparison.Ordinal
        );
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Contains(
            "within",
            (
                await Assert.ThrowsAsync<ImportFetchException>(() => slow.FetchAsync(url, CancellationToken.None))
            ).Message,
            StringComparison.Ordinal
        );
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
    }

    private static HttpResponseMessage Ok(string body, bool withLength = true)
    {
        var content = withLength
            ? (HttpContent)new StringContent(body)
            : new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)));
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private sealed class StubHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> respond)
        : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(
            HttpRequestMessage request,
            CancellationToken cancellationToken
        ) => respond(request, cancellationToken);
    }
}
